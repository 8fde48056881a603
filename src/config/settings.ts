/**
 * The settings read from the environment: one table that is the single source of truth for their
 * names, defaults, bounds and help text (--help and the documentation show the same). Read once at
 * start-up; a reload re-reads the secrets file, not these.
 */
import type { Level } from "../log.ts";
export type Env = Readonly<Record<string, string | undefined>>;

export const STRATEGIES = ["round-robin", "hash", "least-loaded"] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** Odoo waits 3 s for /v1/channel; the gateway must answer before that. */
export const ODOO_TIMEOUT_MS = 3000;

export interface Settings {
  readonly bind: string;
  readonly port: number;
  readonly trustProxy: boolean;
  /** Time allowed for all SFU attempts of one channel request. */
  readonly deadlineMs: number;
  /** Time allowed for one attempt on one SFU (never more than what is left of the deadline). */
  readonly attemptTimeoutMs: number;
  /** Most SFUs tried for one request. */
  readonly maxAttempts: number;
  /** Retries allowed, as a percentage of recent requests (on top of retryMinPerSecond). */
  readonly retryBudgetPercent: number;
  readonly retryMinPerSecond: number;
  readonly healthIntervalMs: number;
  readonly healthTimeoutMs: number;
  readonly healthRise: number;
  readonly healthFall: number;
  /** Failed channel calls in a row that eject an SFU at once (0: never). */
  readonly ejectAfter: number;
  readonly ejectBaseMs: number;
  readonly ejectMaxMs: number;
  readonly strategy: Strategy;
  readonly statsIntervalMs: number;
  readonly statsTimeoutMs: number;
  /** Stats older than this many intervals count as unknown. */
  readonly statsStaleIntervals: number;
  /** Percentage of an SFU's capacity above which it is used only when every candidate is. */
  readonly loadThresholdPercent: number;
  /** Sessions a channel asked for since the last stats counts for. */
  readonly provisionalSessions: number;
  /** How long an issuer stays pinned to the SFU that created its channel. */
  readonly affinityTtlMs: number;
  /** Key of the admin API, or null when the admin API is off. Secret. */
  readonly adminKey: string | null;
  readonly logLevel: Level;
  /** Time the requests in flight get to finish when the gateway stops. */
  readonly stopTimeoutMs: number;
  /** Reload when the secrets file changes. */
  readonly watchSecrets: boolean;
  /** Count requests for /metrics (off: /metrics answers 404 and the request path counts nothing). */
  readonly metrics: boolean;
  /** Let a new gateway process listen on the port while the old one still does (hand-over restarts). */
  readonly reusePort: boolean;
}

type Kind =
  | { readonly type: "integer"; readonly min: number; readonly max: number; readonly unit?: string }
  | { readonly type: "flag" }
  | { readonly type: "choice"; readonly choices: readonly string[] }
  | { readonly type: "text" }
  | { readonly type: "secret" };

export interface SettingSpec {
  readonly variable: string;
  readonly field: keyof Settings;
  readonly kind: Kind;
  /** The default, as it would be written in the environment ("" for none). */
  readonly fallback: string;
  readonly help: string;
}

const ms = (min: number, max: number) => ({ type: "integer", min, max, unit: " of milliseconds" }) as const;
const count = (min: number, max: number) => ({ type: "integer", min, max }) as const;

/** Every setting of the environment, in the order --help lists them. SFU_GATEWAY_KEY is read apart (see load.ts). */
export const SETTINGS: readonly SettingSpec[] = [
  { variable: "SFU_GATEWAY_BIND", field: "bind", kind: { type: "text" }, fallback: "0.0.0.0", help: "listen address" },
  { variable: "SFU_GATEWAY_PORT", field: "port", kind: count(0, 65535), fallback: "8071", help: "listen port" },
  {
    variable: "SFU_GATEWAY_TRUST_PROXY",
    field: "trustProxy",
    kind: { type: "flag" },
    fallback: "false",
    help: "true/1: keep the incoming X-Forwarded-For chain (the gateway is behind a proxy of yours)",
  },
  {
    variable: "SFU_GATEWAY_DEADLINE_MS",
    field: "deadlineMs",
    kind: ms(1, ODOO_TIMEOUT_MS - 1),
    fallback: "2500",
    help: "time for all SFU attempts of one request, below Odoo's 3000 ms",
  },
  {
    variable: "SFU_GATEWAY_ATTEMPT_TIMEOUT_MS",
    field: "attemptTimeoutMs",
    kind: ms(1, ODOO_TIMEOUT_MS - 1),
    fallback: "1000",
    help: "time for one attempt on one SFU, so a hanging SFU leaves time for another (at most the deadline)",
  },
  { variable: "SFU_GATEWAY_MAX_ATTEMPTS", field: "maxAttempts", kind: count(1, 10), fallback: "3", help: "most SFUs tried for one request" },
  {
    variable: "SFU_GATEWAY_RETRY_BUDGET_PERCENT",
    field: "retryBudgetPercent",
    kind: count(0, 100),
    fallback: "20",
    help: "retries allowed as a percentage of the requests of the last 10 s",
  },
  {
    variable: "SFU_GATEWAY_RETRY_MIN_PER_SECOND",
    field: "retryMinPerSecond",
    kind: count(0, 100000),
    fallback: "10",
    help: "retries always allowed per second, whatever the budget",
  },
  { variable: "SFU_GATEWAY_HEALTH_INTERVAL_MS", field: "healthIntervalMs", kind: ms(100, 3_600_000), fallback: "2000", help: "time between two probes (GET /v1/noop) of an SFU" },
  { variable: "SFU_GATEWAY_HEALTH_TIMEOUT_MS", field: "healthTimeoutMs", kind: ms(10, 60_000), fallback: "1000", help: "time a probe may take" },
  { variable: "SFU_GATEWAY_HEALTH_RISE", field: "healthRise", kind: count(1, 100), fallback: "2", help: "successful probes in a row that bring a down SFU up" },
  { variable: "SFU_GATEWAY_HEALTH_FALL", field: "healthFall", kind: count(1, 100), fallback: "3", help: "failed probes in a row that take an up SFU down" },
  {
    variable: "SFU_GATEWAY_EJECT_AFTER",
    field: "ejectAfter",
    kind: count(0, 1000),
    fallback: "3",
    help: "failed channel calls in a row that take an SFU out at once (0: never)",
  },
  { variable: "SFU_GATEWAY_EJECT_BASE_MS", field: "ejectBaseMs", kind: ms(1, 3_600_000), fallback: "5000", help: "time out after a first ejection; doubles with each ejection in a row" },
  { variable: "SFU_GATEWAY_EJECT_MAX_MS", field: "ejectMaxMs", kind: ms(1, 86_400_000), fallback: "120000", help: "longest time out after an ejection" },
  {
    variable: "SFU_GATEWAY_STRATEGY",
    field: "strategy",
    kind: { type: "choice", choices: STRATEGIES },
    fallback: "round-robin",
    help: "how a new issuer's SFU is chosen: round-robin, hash or least-loaded",
  },
  { variable: "SFU_GATEWAY_STATS_INTERVAL_MS", field: "statsIntervalMs", kind: ms(100, 3_600_000), fallback: "5000", help: "least-loaded: time between two polls of an SFU's /v1/stats" },
  { variable: "SFU_GATEWAY_STATS_TIMEOUT_MS", field: "statsTimeoutMs", kind: ms(10, 60_000), fallback: "2000", help: "least-loaded: time a stats poll may take" },
  {
    variable: "SFU_GATEWAY_STATS_STALE_INTERVALS",
    field: "statsStaleIntervals",
    kind: count(1, 100),
    fallback: "3",
    help: "least-loaded: stats older than this many intervals count as unknown",
  },
  {
    variable: "SFU_GATEWAY_LOAD_THRESHOLD_PERCENT",
    field: "loadThresholdPercent",
    kind: count(1, 1000),
    fallback: "80",
    help: "least-loaded: share of an SFU's capacity above which it is used only when every candidate is",
  },
  {
    variable: "SFU_GATEWAY_PROVISIONAL_SESSIONS",
    field: "provisionalSessions",
    kind: count(0, 1000),
    fallback: "2",
    help: "least-loaded: sessions each channel asked for since the last stats counts for",
  },
  {
    variable: "SFU_GATEWAY_AFFINITY_TTL_MS",
    field: "affinityTtlMs",
    kind: ms(0, 86_400_000),
    fallback: "3600000",
    help: "how long an issuer stays pinned to its SFU after its last request (the SFU's channel lifetime)",
  },
  {
    variable: "SFU_GATEWAY_ADMIN_KEY",
    field: "adminKey",
    kind: { type: "secret" },
    fallback: "",
    help: "bearer key of the admin API (drain, reload, explain); unset: the admin API is off",
  },
  { variable: "SFU_GATEWAY_LOG_LEVEL", field: "logLevel", kind: { type: "choice", choices: LOG_LEVELS }, fallback: "info", help: "debug, info, warn or error" },
  { variable: "SFU_GATEWAY_STOP_TIMEOUT_MS", field: "stopTimeoutMs", kind: ms(0, 3_600_000), fallback: "10000", help: "time requests in flight get to finish on SIGTERM/SIGINT" },
  { variable: "SFU_GATEWAY_WATCH", field: "watchSecrets", kind: { type: "flag" }, fallback: "false", help: "true/1: reload when the secrets file changes (SIGHUP always reloads)" },
  { variable: "SFU_GATEWAY_METRICS", field: "metrics", kind: { type: "flag" }, fallback: "true", help: "false/0: no Prometheus metrics (/metrics answers 404)" },
  {
    variable: "SFU_GATEWAY_REUSE_PORT",
    field: "reusePort",
    kind: { type: "flag" },
    fallback: "false",
    help: "true/1: share the port with another gateway process, for restarts without a gap (start the new one, then SIGTERM the old)",
  },
];

/** The shortest admin key accepted: it guards drain and reload. */
export const MIN_ADMIN_KEY_LENGTH = 16;

function readOne(spec: SettingSpec, env: Env, problems: string[]): unknown {
  const raw = env[spec.variable];
  const text = raw === undefined || raw.trim() === "" ? spec.fallback : raw.trim();
  const { kind, variable } = spec;
  switch (kind.type) {
    case "integer": {
      const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(value) || value < kind.min || value > kind.max) {
        problems.push(`${variable}: expected a whole number${kind.unit ?? ""} from ${kind.min} to ${kind.max}, got "${raw}"`);
        return Number(spec.fallback);
      }
      return value;
    }
    case "flag": {
      const value = text.toLowerCase();
      if (value === "true" || value === "1") return true;
      if (value === "false" || value === "0") return false;
      problems.push(`${variable}: expected true, false, 1 or 0, got "${raw}"`);
      return false;
    }
    case "choice":
      if (kind.choices.includes(text)) return text;
      problems.push(`${variable}: expected one of ${kind.choices.join(", ")}, got "${raw}"`);
      return spec.fallback;
    case "text":
      if (/\s/.test(text)) problems.push(`${variable}: "${text}" must not contain spaces`);
      return text;
    case "secret":
      if (text === "") return null;
      if (text.length < MIN_ADMIN_KEY_LENGTH) {
        problems.push(`${variable}: must be at least ${MIN_ADMIN_KEY_LENGTH} characters (for example: openssl rand -base64 32)`);
      }
      return text;
  }
}

/** Reads every setting; problems name the variable. */
export function readSettings(env: Env, problems: string[]): Settings {
  const settings: Record<string, unknown> = {};
  for (const spec of SETTINGS) settings[spec.field] = readOne(spec, env, problems);
  const read = settings as unknown as Settings;
  // Unset, the attempt time follows a shorter deadline down.
  const attemptSet = (env.SFU_GATEWAY_ATTEMPT_TIMEOUT_MS ?? "").trim() !== "";
  if (!attemptSet && read.attemptTimeoutMs > read.deadlineMs) settings.attemptTimeoutMs = read.deadlineMs;
  else if (read.attemptTimeoutMs > read.deadlineMs) {
    problems.push(
      `SFU_GATEWAY_ATTEMPT_TIMEOUT_MS: ${read.attemptTimeoutMs} ms is longer than SFU_GATEWAY_DEADLINE_MS (${read.deadlineMs} ms)`,
    );
  }
  if (read.healthTimeoutMs >= read.healthIntervalMs) {
    problems.push(
      `SFU_GATEWAY_HEALTH_TIMEOUT_MS: ${read.healthTimeoutMs} ms must be shorter than SFU_GATEWAY_HEALTH_INTERVAL_MS (${read.healthIntervalMs} ms)`,
    );
  }
  if (read.ejectBaseMs > read.ejectMaxMs) {
    problems.push(`SFU_GATEWAY_EJECT_BASE_MS: ${read.ejectBaseMs} ms is longer than SFU_GATEWAY_EJECT_MAX_MS (${read.ejectMaxMs} ms)`);
  }
  return Object.freeze(read);
}

/** The settings with every default, for code that builds a configuration without an environment (demo, tests). */
export function defaultSettings(overrides: Partial<Settings> = {}): Settings {
  const problems: string[] = [];
  const settings = readSettings({}, problems);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return Object.freeze({ ...settings, ...overrides });
}
