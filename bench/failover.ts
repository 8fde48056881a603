/**
 * Failover under load, end to end, with real processes: the compiled gateway (dist/sfu-gateway;
 * run `bun run build` first, this script builds nothing), three stand-in SFU processes
 * (test/support/sfu-process.ts) and a closed-loop load of fresh issuers sent with fetch from this
 * process. One SFU is SIGKILLed at ~3 s and started again on the same port at ~7 s. Prints: requests,
 * success rate, latency overall and in the second after the kill, the time from the kill to the SFU
 * marked down in /status/json, from the restart to marked up, and the upstream calls the gateway
 * made to the dead SFU after marking it down (should be 0).
 *
 *   bun bench/failover.ts
 *
 * Tunables (environment): BENCH_CONNECTIONS (32), BENCH_DURATION_MS (10000), BENCH_KILL_AT_MS (3000),
 * BENCH_RESTART_AT_MS (7000). Any SFU_GATEWAY_* variable set in the environment is passed on to the
 * gateway (e.g. SFU_GATEWAY_HEALTH_INTERVAL_MS=200); otherwise the gateway runs with its defaults.
 * Speed and timing goals are measured here, never asserted.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { odooToken } from "../src/demo/odoo-token.ts";
import { newKey } from "../test/support/keys.ts";
import { freePort, type SfuProcess, startSfuProcess } from "../test/support/sfu-process.ts";

const ROOT = join(import.meta.dir, "..");
const BINARY = join(ROOT, "dist", "sfu-gateway");
const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CONNECTIONS = number("BENCH_CONNECTIONS", 32);
const DURATION_MS = number("BENCH_DURATION_MS", 10_000);
const KILL_AT_MS = number("BENCH_KILL_AT_MS", 3000);
const RESTART_AT_MS = number("BENCH_RESTART_AT_MS", 7000);
/** Odoo's requests time out after 3 s: a request not answered by then is a lost call. */
const ODOO_TIMEOUT_MS = 3000;
/** How long to wait after the load for the restarted SFU to be marked up. */
const UP_WAIT_MS = 30_000;

interface Sample {
  /** ms since the load started */
  readonly sentAt: number;
  readonly ms: number;
  /** 0: no answer within Odoo's 3 s, or a connection error */
  readonly status: number;
  readonly url: string | null;
}

interface SfuView {
  readonly address: string;
  readonly state: "up" | "down";
  readonly since: string;
  readonly reason: string;
  readonly requests: number;
  readonly last_probe: { readonly ok: boolean } | null;
}

if (!existsSync(BINARY)) {
  console.error(`bench/failover.ts: ${BINARY} is missing; run \`bun run build\` first`);
  process.exit(1);
}

const percentile = (values: readonly number[], p: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");

const sfus: SfuProcess[] = [];
let gateway: Bun.Subprocess | null = null;
const cleanUp = async () => {
  gateway?.kill("SIGKILL");
  await Promise.all(sfus.map((sfu) => sfu.stop()));
};

try {
  for (let i = 0; i < 3; i++) sfus.push(await startSfuProcess({ region: "eu-west" }));
  const victim = sfus[1]!;
  const key = newKey();
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const passedOn = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name.startsWith("SFU_GATEWAY_") && !["SFU_GATEWAY_KEY", "SFU_GATEWAY_NODES", "SFU_GATEWAY_PORT", "SFU_GATEWAY_BIND"].includes(name)),
  );
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    // Warn: the down transitions are logged, the per-request lines are not (they would cost CPU here).
    SFU_GATEWAY_LOG_LEVEL: "warn",
    ...(passedOn as Record<string, string>),
    SFU_GATEWAY_KEY: key,
    SFU_GATEWAY_NODES: JSON.stringify({ sfu: sfus.map((sfu) => sfu.entry) }),
    SFU_GATEWAY_BIND: "127.0.0.1",
    SFU_GATEWAY_PORT: String(port),
  };
  gateway = Bun.spawn([BINARY], { cwd: ROOT, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let logText = "";
  void (async () => {
    for await (const chunk of gateway!.stdout as ReadableStream<Uint8Array>) logText += new TextDecoder().decode(chunk);
  })();
  void new Response(gateway.stderr as ReadableStream<Uint8Array>).text().then((text) => (logText += text));

  const status = async (): Promise<SfuView[]> => ((await (await fetch(`${base}/status/json`)).json()) as { sfus: SfuView[] }).sfus;
  const victimView = async () => (await status()).find((view) => view.address === victim.url)!;
  const until = async (check: () => Promise<boolean>, what: string, withinMs: number, everyMs = 10) => {
    const deadline = performance.now() + withinMs;
    for (;;) {
      try {
        if (await check()) return;
      } catch {}
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(everyMs);
    }
  };
  await until(async () => (await status()).every((view) => view.state === "up" && view.last_probe?.ok === true), "the gateway ready with every SFU probed", 20_000, 50);

  // The load: closed loop, fresh issuer per request.
  const samples: Sample[] = [];
  let channel = 0;
  const started = performance.now();
  const end = started + DURATION_MS;
  const client = async () => {
    while (performance.now() < end) {
      const token = odooToken({ iss: `https://bench.example.com:channel:${++channel}`, key: crypto.randomUUID() }, key, 30);
      const t0 = performance.now();
      let status = 0;
      let url: string | null = null;
      try {
        const response = await fetch(`${base}/v1/channel`, { headers: { authorization: `jwt ${token}` }, signal: AbortSignal.timeout(ODOO_TIMEOUT_MS) });
        const body = (await response.json()) as { url?: string; uuid?: string };
        status = response.status;
        if (status === 200 && (typeof body.uuid !== "string" || typeof body.url !== "string")) status = -1;
        url = body.url ?? null;
      } catch {}
      samples.push({ sentAt: t0 - started, ms: performance.now() - t0, status, url });
    }
  };
  const load = Promise.all(Array.from({ length: CONNECTIONS }, client));

  // The fault, while the load runs.
  await Bun.sleep(Math.max(0, KILL_AT_MS - (performance.now() - started)));
  const requestsAtKill = (await victimView()).requests;
  const killAt = Date.now();
  // kill() sends SIGKILL before it first awaits: requests sent after this tick were sent after the kill.
  const killing = victim.kill();
  const killTick = performance.now() - started;
  await killing;
  let downView: SfuView | null = null;
  let downSeenAt = 0;
  await until(
    async () => {
      const view = await victimView();
      if (view.state !== "down") return false;
      downView = view;
      downSeenAt = Date.now();
      return true;
    },
    "the killed SFU marked down",
    RESTART_AT_MS - KILL_AT_MS,
  ).catch(() => {});
  await Bun.sleep(Math.max(0, RESTART_AT_MS - (performance.now() - started)));
  const beforeRestart = await victimView();
  const restartAt = Date.now();
  const restartTick = performance.now() - started;
  await victim.restart();
  const restartedAt = Date.now();
  let upView: SfuView | null = null;
  const upWait = until(
    async () => {
      const view = await victimView();
      if (view.state !== "up") return false;
      upView = view;
      return true;
    },
    "the restarted SFU marked up",
    DURATION_MS - RESTART_AT_MS + UP_WAIT_MS,
  ).catch(() => {});
  await load;
  await upWait;
  const callsAfterRestart = await victim.calls();

  // The report.
  const down = downView as SfuView | null;
  const up = upView as SfuView | null;
  const lost = samples.filter((sample) => sample.status !== 200);
  const all = samples.map((sample) => sample.ms);
  const afterKill = samples.filter((sample) => sample.sentAt >= killTick && sample.sentAt < killTick + 1000).map((sample) => sample.ms);
  const deadUrl = samples.filter((sample) => sample.url === victim.url && sample.sentAt >= killTick && sample.sentAt < restartTick).length;
  const byStatus = new Map<number, number>();
  for (const sample of lost) byStatus.set(sample.status, (byStatus.get(sample.status) ?? 0) + 1);
  const downLines = logText.split("\n").filter((line) => line.includes('"event":"sfu-down"') && line.includes(victim.url));
  const settings = Object.entries(passedOn).map(([name, value]) => `${name}=${value}`).join(" ") || "gateway defaults";

  const rows: [string, string][] = [
    ["setup", `${CONNECTIONS} connections, ${DURATION_MS / 1000} s, 3 SFU processes, kill at ${Math.round(killTick)} ms, restart at ${Math.round(restartTick)} ms; ${settings}`],
    ["requests", String(samples.length)],
    ["throughput", `${fixed(samples.length / (DURATION_MS / 1000), 0)} req/s`],
    ["success (200 + {uuid,url})", `${fixed((100 * (samples.length - lost.length)) / samples.length, 3)} %${lost.length > 0 ? ` (failed: ${[...byStatus].map(([code, count]) => `${count}× ${code === 0 ? "no answer" : code}`).join(", ")})` : ""}`],
    ["latency p50 / p99 / max", `${fixed(percentile(all, 50))} / ${fixed(percentile(all, 99))} / ${fixed(Math.max(...all))} ms`],
    ["latency in the 1 s after the kill", `${fixed(percentile(afterKill, 50))} / ${fixed(percentile(afterKill, 99))} / ${fixed(Math.max(...afterKill))} ms (p50 / p99 / max, ${afterKill.length} requests)`],
    ["kill → marked down", down === null ? "not marked down before the restart" : `${Date.parse(down.since) - killAt} ms (seen ${downSeenAt - killAt} ms); ${down.reason}`],
    ["restart → marked up", up === null ? `not marked up within ${UP_WAIT_MS / 1000} s after the load` : `${Date.parse(up.since) - restartedAt} ms (process ready ${restartedAt - restartAt} ms after spawn); ${up.reason}`],
    ["calls to the dead SFU after down", down === null ? "n/a" : String(beforeRestart.requests - down.requests)],
    ["calls to it between kill and down", down === null ? "n/a" : `${down.requests - requestsAtKill} (each failed over)`],
    ["answers naming it while dead", String(deadUrl)],
    ["sfu-down log lines for it", String(downLines.length)],
    ["calls to it after the restart", String(callsAfterRestart)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join("\n"));
} finally {
  await cleanUp();
}
