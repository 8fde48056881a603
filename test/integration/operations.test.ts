/**
 * Production operations on the in-process app: Prometheus metrics after real traffic, request ids,
 * the log level, reloads without a restart under a steady stream of requests (SIGHUP's reloader
 * and POST /admin/reload), and key rotation (the gateway's keys, and an SFU's key through a reload).
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/load.ts";
import { Gateway } from "../../src/gateway.ts";
import { createLogger, memorySink } from "../../src/log.ts";
import { reloader } from "../../src/reload.ts";
import { VERSION } from "../../src/version.ts";
import { bodyOf } from "../support/http.ts";
import { startGateway, type SfuEntry, type TestGateway, waitFor } from "../support/gateway.ts";
import { newKey } from "../support/keys.ts";
import { askChannel, odooClaims } from "../support/odoo.ts";
import { startSfu, type TestSfu } from "../support/sfus.ts";

const ADMIN_KEY = "operations-admin-key-0123456789";
const folder = mkdtempSync(join(tmpdir(), "sfu-gateway-operations-"));
const stops: (() => unknown)[] = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  rmSync(folder, { recursive: true, force: true });
});

function sfu(region?: string, options: Parameters<typeof startSfu>[1] = {}): TestSfu {
  const started = startSfu(region, options);
  stops.push(() => started.stop());
  return started;
}

function gatewayOf(sfus: readonly SfuEntry[], env: Record<string, string> = {}, options: Parameters<typeof startGateway>[2] = {}): TestGateway {
  const started = startGateway(sfus, env, options);
  stops.push(() => started.stop());
  return started;
}

/** A secrets file listing `entries` (mode 600, so no warning); returns its path. */
function writeSecrets(name: string, entries: readonly SfuEntry[]): string {
  const path = join(folder, name);
  const tables = entries.map((entry) =>
    [
      "[[sfu]]",
      `address = "${entry.address}"`,
      `key = "${entry.key}"`,
      ...(entry.region === undefined ? [] : [`region = "${entry.region}"`]),
      ...(entry.capacity === undefined ? [] : [`capacity = ${entry.capacity}`]),
      "",
    ].join("\n"),
  );
  writeFileSync(path, `# written by operations.test.ts\n${tables.join("\n")}`);
  chmodSync(path, 0o600);
  return path;
}

/** Answers /v1/channel after `ms` (other paths as usual), with a valid channel of this SFU. */
function slowChannel(ms: (request: Request) => number) {
  let url = "";
  const override = (request: Request) => {
    if (new URL(request.url).pathname !== "/v1/channel") return undefined;
    return Bun.sleep(ms(request)).then(() => Response.json({ uuid: crypto.randomUUID(), url }));
  };
  return { override, setUrl: (value: string) => void (url = value) };
}

// ---------------------------------------------------------------- Prometheus text exposition

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Family {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  counter: [""],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"],
};

/** `a="1",b="x\"y"` → labels; throws on anything the text format does not allow. */
function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i))?.[0];
    if (name === undefined || text[i + name.length] !== "=" || text[i + name.length + 1] !== '"') throw new Error(`bad label in: ${line}`);
    i += name.length + 2;
    let value = "";
    for (;;) {
      const char = text[i++];
      if (char === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (char === '"') break;
      if (char === "\\") {
        const escaped = text[i++];
        if (escaped === "n") value += "\n";
        else if (escaped === "\\" || escaped === '"') value += escaped;
        else throw new Error(`bad escape in: ${line}`);
      } else value += char;
    }
    if (Object.hasOwn(labels, name)) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = value;
    if (text[i] === ",") i++;
    else if (i !== text.length) throw new Error(`bad label list in: ${line}`);
  }
  return labels;
}

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value in: ${line}`);
  return Number(text);
}

/**
 * Parses Prometheus' text exposition format (0.0.4): `# HELP`/`# TYPE` lines, then samples
 * `name{labels} value [timestamp]`, each belonging to a family whose TYPE came before it. Throws
 * on any line that does not follow the format, and on a sample given twice.
 */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (meta === null) continue; // a plain comment
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      if (kind === "HELP") helps.set(name, rest);
      else {
        if (families.has(name)) throw new Error(`TYPE given twice for ${name}`);
        if (SUFFIXES[rest] === undefined) throw new Error(`unknown type in: ${line}`);
        families.set(name, { name, type: rest, help: helps.get(name) ?? "", samples: [] });
      }
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText, valueText] = match as unknown as [string, string, string | undefined, string];
    const family = [...families.values()].find((candidate) =>
      SUFFIXES[candidate.type]!.some((suffix) => `${candidate.name}${suffix}` === name),
    );
    if (family === undefined) throw new Error(`sample of no declared family: ${line}`);
    const labels = labelText === undefined ? {} : parseLabels(labelText, line);
    const identity = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(identity)) throw new Error(`sample given twice: ${line}`);
    seen.add(identity);
    family.samples.push({ name, labels, value: parseValue(valueText, line) });
  }
  for (const family of families.values()) if (family.help === "") throw new Error(`no HELP for ${family.name}`);
  return families;
}

/** The samples of `name` whose labels include `labels`. */
function samplesOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): Sample[] {
  const all = [...families.values()].flatMap((family) => family.samples);
  return all.filter((sample) => sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value));
}

/** The value of the one sample of `name` with exactly these labels (0 when there is none, as Prometheus reads an absent counter). */
function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const exact = samplesOf(families, name, labels).filter((sample) => Object.keys(sample.labels).length === Object.keys(labels).length);
  if (exact.length > 1) throw new Error(`several samples of ${name} ${JSON.stringify(labels)}`);
  return exact[0]?.value ?? 0;
}

async function scrape(gateway: TestGateway): Promise<Map<string, Family>> {
  const response = await fetch(`${gateway.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  return parseExposition(await response.text());
}

const admin = (gateway: TestGateway, path: string, body?: unknown) =>
  fetch(`${gateway.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe("the exposition parser", () => {
  test("reads a well-formed exposition and refuses malformed ones", () => {
    const families = parseExposition(
      [
        "# HELP x_total A counter",
        "# TYPE x_total counter",
        'x_total{a="1",b="q\\"uote\\\\d\\n"} 3',
        "# HELP h Latency",
        "# TYPE h histogram",
        'h_bucket{le="0.1"} 1',
        'h_bucket{le="+Inf"} 2',
        "h_sum 0.35",
        "h_count 2",
        "",
      ].join("\n"),
    );
    expect(valueOf(families, "x_total", { a: "1", b: 'q"uote\\d\n' })).toBe(3);
    expect(valueOf(families, "h_bucket", { le: "+Inf" })).toBe(2);
    expect(() => parseExposition("x 1\n")).toThrow("no declared family");
    expect(() => parseExposition("# HELP x y\n# TYPE x gauge\nx{a=1} 1\n")).toThrow("bad label");
    expect(() => parseExposition("# HELP x y\n# TYPE x gauge\nx one\n")).toThrow("bad value");
    expect(() => parseExposition("# HELP x y\n# TYPE x gauge\nx 1\nx 2\n")).toThrow("twice");
  });
});

describe("/metrics after real traffic", () => {
  // eu-west answers (but fails when the query says fail=1); us-east always answers HTTP 500, and is
  // never ejected for it, so a request for us-east fails over to eu-west.
  const failing = (request: Request) => new URL(request.url).pathname === "/v1/channel" ? new Response(null, { status: 500 }) : undefined;
  const good = sfu("eu-west", {
    override: (request) => (new URL(request.url).searchParams.get("fail") === "1" ? new Response(null, { status: 500 }) : undefined),
  });
  const bad = sfu("us-east", { override: failing });
  const entries = [
    { ...good.entry, capacity: 100 },
    { ...bad.entry, capacity: 50 },
  ];
  const secrets = writeSecrets("metrics.toml", entries);
  const env = { SFU_GATEWAY_STRATEGY: "least-loaded", SFU_GATEWAY_EJECT_AFTER: "0", SFU_GATEWAY_ADMIN_KEY: ADMIN_KEY };
  const gateway = gatewayOf([], env, { secretsPath: secrets });

  test("it parses as the text exposition format and counts every request, call, retry, failover and reload", async () => {
    // The monitor polled both SFUs' /v1/stats once at start: load is known.
    await waitFor(() => gateway.gateway.runtime.fleet.states.every((state) => state.load !== null), "the first stats of both SFUs");
    const before = await scrape(gateway);
    expect(valueOf(before, "sfu_gateway_config_reloads_total", { result: "success" })).toBe(0);
    expect(valueOf(before, "sfu_gateway_config_reloads_total", { result: "failure" })).toBe(0);

    for (let i = 0; i < 3; i++) expect((await askChannel(gateway.url, gateway.key, { query: "region=eu-west" })).status).toBe(200);
    expect((await fetch(`${gateway.url}/v1/channel`)).status).toBe(401);
    const failover = await askChannel(gateway.url, gateway.key, { query: "region=us-east" });
    expect(failover.status).toBe(200);
    expect((await bodyOf(failover)).url).toBe(good.url);
    expect((await askChannel(gateway.url, gateway.key, { query: "region=us-east&fail=1" })).status).toBe(502);
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);

    expect(gateway.reload("test").ok).toBe(true);
    writeFileSync(secrets, `[[sfu]]\naddress = "${good.url}"\nkey = "abcde"\n`);
    expect(gateway.reload("test").ok).toBe(false);
    writeSecrets("metrics.toml", entries);

    const families = await scrape(gateway);
    const http = (route: string, status: number) => valueOf(families, "sfu_gateway_http_requests_total", { route, status: String(status) });
    expect(http("/v1/channel", 200)).toBe(4);
    expect(http("/v1/channel", 401)).toBe(1);
    expect(http("/v1/channel", 502)).toBe(1);
    expect(http("/health", 200)).toBe(1);
    // The first scrape counted itself once it was answered.
    expect(http("/metrics", 200)).toBe(1);

    const channel = (region: string, sfuLabel: string, status: number) =>
      valueOf(families, "sfu_gateway_channel_requests_total", { region, sfu: sfuLabel, status: String(status) });
    expect(channel("eu-west", good.url, 200)).toBe(3);
    expect(channel("none", "none", 401)).toBe(1);
    expect(channel("us-east", good.url, 200)).toBe(1);
    expect(channel("us-east", good.url, 502)).toBe(1);
    expect(samplesOf(families, "sfu_gateway_channel_requests_total").reduce((sum, sample) => sum + sample.value, 0)).toBe(6);

    // One histogram per SFU and outcome: buckets never decrease, +Inf holds them all, _count = the calls.
    const calls = (address: string, outcome: string) => {
      const labels = { sfu: address, outcome };
      const buckets = samplesOf(families, "sfu_gateway_upstream_duration_seconds_bucket", labels);
      expect(buckets.length).toBeGreaterThan(5);
      const bounds = buckets.map((bucket) => parseValue(bucket.labels.le!, "le"));
      expect(bounds).toEqual([...bounds].sort((a, b) => a - b));
      expect(bounds.at(-1)).toBe(Infinity);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      const count = valueOf(families, "sfu_gateway_upstream_duration_seconds_count", labels);
      expect(buckets.at(-1)!.value).toBe(count);
      expect(valueOf(families, "sfu_gateway_upstream_duration_seconds_sum", labels)).toBeGreaterThan(0);
      return count;
    };
    expect(calls(good.url, "ok")).toBe(4);
    expect(calls(good.url, "status")).toBe(1);
    expect(calls(bad.url, "status")).toBe(2);
    expect(good.channelCalls()).toHaveLength(5);
    expect(bad.channelCalls()).toHaveLength(2);

    expect(valueOf(families, "sfu_gateway_retries_total", { sfu: bad.url })).toBe(2);
    expect(valueOf(families, "sfu_gateway_retries_total", { sfu: good.url })).toBe(0);
    expect(valueOf(families, "sfu_gateway_failovers_total")).toBe(1);

    for (const [one, region] of [
      [good, "eu-west"],
      [bad, "us-east"],
    ] as const) {
      expect(valueOf(families, "sfu_gateway_sfu_up", { sfu: one.url, region })).toBe(1);
      expect(valueOf(families, "sfu_gateway_sfu_draining", { sfu: one.url })).toBe(0);
      expect(valueOf(families, "sfu_gateway_sfu_usable", { sfu: one.url })).toBe(1);
      // Least-loaded: what the last stats said.
      expect(samplesOf(families, "sfu_gateway_sfu_sessions", { sfu: one.url })).toHaveLength(1);
      expect(samplesOf(families, "sfu_gateway_sfu_channels", { sfu: one.url })).toHaveLength(1);
      expect(valueOf(families, "sfu_gateway_sfu_stats_age_seconds", { sfu: one.url })).toBeGreaterThanOrEqual(0);
    }
    expect(valueOf(families, "sfu_gateway_sfu_capacity", { sfu: good.url })).toBe(100);
    expect(valueOf(families, "sfu_gateway_sfu_capacity", { sfu: bad.url })).toBe(50);
    // Issuers pinned: the four that got a channel, all on eu-west.
    expect(valueOf(families, "sfu_gateway_sfu_pins", { sfu: good.url })).toBe(4);

    expect(valueOf(families, "sfu_gateway_config_reloads_total", { result: "success" })).toBe(1);
    expect(valueOf(families, "sfu_gateway_config_reloads_total", { result: "failure" })).toBe(1);
    expect(valueOf(families, "sfu_gateway_config_generation")).toBe(2);
    expect(valueOf(families, "sfu_gateway_ready")).toBe(1);
    expect(valueOf(families, "sfu_gateway_inflight_requests")).toBe(0);
    const build = samplesOf(families, "sfu_gateway_build_info");
    expect(build).toHaveLength(1);
    expect(build[0]!.labels.version).toBe(VERSION);
    expect(build[0]!.labels.bun).toBe(Bun.version);
    expect(build[0]!.value).toBe(1);
    expect(families.get("sfu_gateway_http_requests_total")!.type).toBe("counter");
    expect(families.get("sfu_gateway_upstream_duration_seconds")!.type).toBe("histogram");
    expect(families.get("sfu_gateway_sfu_up")!.type).toBe("gauge");
  });

  test("drain shows in the per-SFU gauges at the next scrape", async () => {
    expect((await admin(gateway, "/admin/sfus/drain", { address: bad.url })).status).toBe(200);
    const families = await scrape(gateway);
    expect(valueOf(families, "sfu_gateway_sfu_draining", { sfu: bad.url })).toBe(1);
    expect(valueOf(families, "sfu_gateway_sfu_usable", { sfu: bad.url })).toBe(0);
    expect(valueOf(families, "sfu_gateway_sfu_up", { sfu: bad.url, region: "us-east" })).toBe(1);
    expect(valueOf(families, "sfu_gateway_sfu_usable", { sfu: good.url })).toBe(1);
  });

  test("SFU_GATEWAY_METRICS=false: /metrics answers 404 and channels are still served", async () => {
    const one = sfu("eu-west");
    const off = gatewayOf([one.entry], { SFU_GATEWAY_METRICS: "false" }, { noMonitor: true });
    expect((await askChannel(off.url, off.key)).status).toBe(200);
    const response = await fetch(`${off.url}/metrics`);
    expect(response.status).toBe(404);
    expect((await bodyOf(response)).error).toContain("SFU_GATEWAY_METRICS");
    expect(await off.gateway.metrics.render()).not.toMatch(/^sfu_gateway_http_requests_total\{/m);
  });
});

describe("request ids", () => {
  const one = sfu("eu-west");
  const gateway = gatewayOf([one.entry], {}, { noMonitor: true });
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  const ask = async (headers: Record<string, string>) => {
    const response = await askChannel(gateway.url, gateway.key, { headers });
    expect(response.status).toBe(200);
    const id = response.headers.get("x-request-id");
    const call = one.channelCalls().at(-1)!;
    const line = gateway.logs().filter((entry) => entry.event === "channel").at(-1)!;
    return { id, sent: call.headers["x-request-id"], logged: line.request_id };
  };

  test("a sane X-Request-Id is kept: on the response, to the SFU, in the log line", async () => {
    const given = "odoo-req:42/abc_DEF.1";
    expect(await ask({ "x-request-id": given })).toEqual({ id: given, sent: given, logged: given });
  });

  test.each([
    ["missing", {}],
    ["with spaces", { "x-request-id": "two words" }],
    ["too long", { "x-request-id": "x".repeat(129) }],
    ["non-ASCII", { "x-request-id": "idé" }],
  ])("an X-Request-Id %s is replaced by a new UUID, used everywhere", async (_, headers: Record<string, string>) => {
    const { id, sent, logged } = await ask(headers);
    expect(id).toMatch(UUID);
    expect(sent).toBe(id!);
    expect(logged).toBe(id!);
  });

  test("two requests without an id get different ones", async () => {
    const first = await ask({});
    const second = await ask({});
    expect(first.id).not.toBe(second.id);
  });
});

describe("SFU_GATEWAY_LOG_LEVEL", () => {
  test("warn: the per-request info lines are dropped, warnings and errors stay", async () => {
    const one = sfu("eu-west");
    const key = newKey();
    const secrets = writeSecrets("log-level.toml", [one.entry]);
    const env = { SFU_GATEWAY_KEY: key, SFU_GATEWAY_LOG_LEVEL: "warn" };
    const read = () => loadConfig({ env, secretsPath: secrets });
    const { config } = read();
    expect(config.logLevel).toBe("warn");
    // As main.ts builds it: the logger's floor is the configured level.
    const sink = memorySink();
    const gateway = new Gateway(config, createLogger(sink, config.logLevel));
    const reload = reloader(gateway, read);
    const app = createApp(gateway, { reload });
    app.listen({ hostname: "127.0.0.1", port: 0, reusePort: false });
    stops.push(() => app.stop(true));
    const url = `http://127.0.0.1:${app.server!.port}`;

    expect((await askChannel(url, key)).status).toBe(200);
    expect((await fetch(`${url}/v1/channel`)).status).toBe(401);
    expect(reload("test").ok).toBe(true);
    writeFileSync(secrets, "[[sfu]]\naddress = 3\n");
    expect(reload("test").ok).toBe(false);
    const events = sink.lines.map((line) => JSON.parse(line) as { level: string; event: string });
    expect(events.filter((entry) => entry.level === "info" || entry.level === "debug")).toEqual([]);
    expect(events.map((entry) => entry.event)).toEqual(["reload-refused"]);
  });
});

/** Traffic still running when a test ends (it failed before stopping it): stopped before the next test. */
const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((load) => load.stop()));
});

/** `clients` loops asking for channels until stopped; every answer that is not a 200 is kept. */
function traffic(gateway: TestGateway, clients = 10) {
  let active = true;
  const failures: string[] = [];
  const served = new Map<string, number>();
  let answered = 0;
  const loop = async () => {
    while (active) {
      try {
        const response = await askChannel(gateway.url, gateway.key);
        const body = await bodyOf(response);
        answered++;
        if (response.status !== 200) failures.push(`${response.status} ${JSON.stringify(body)}`);
        else served.set(body.url, (served.get(body.url) ?? 0) + 1);
      } catch (error) {
        failures.push(String(error));
      }
    }
  };
  const loops = Array.from({ length: clients }, loop);
  const load = {
    failures,
    served: (one: TestSfu) => served.get(one.url) ?? 0,
    get answered() {
      return answered;
    },
    /** Waits until `count` more requests were answered. */
    async more(count: number) {
      const target = answered + count;
      await waitFor(() => answered >= target, `${count} more answers`, 10_000);
    },
    async stop() {
      active = false;
      await Promise.all(loops);
      return { answered, failures };
    },
  };
  running.push(load);
  return load;
}

describe("reloading without a restart, under a steady stream of requests", () => {
  // us-east's SFU answers after 150 ms (a request marked inflight=1: after 800 ms), so that requests are in flight on it.
  const slow = slowChannel((request) => (new URL(request.url).searchParams.get("inflight") === "1" ? 800 : 150));
  const a = sfu("eu-west");
  const b = sfu("us-east", { override: slow.override });
  slow.setUrl(b.url);
  const c = sfu("eu-west");
  const d = sfu("eu-west");
  const secretsName = "reload.toml";
  const secrets = writeSecrets(secretsName, [a.entry, b.entry]);
  const gateway = gatewayOf([], { SFU_GATEWAY_ADMIN_KEY: ADMIN_KEY }, { secretsPath: secrets, noMonitor: true });
  const addresses = async () => ((await bodyOf(fetch(`${gateway.url}/status/json`))).sfus as { address: string }[]).map((one) => one.address);

  test("a reload that adds an SFU: it starts receiving traffic, no request fails", async () => {
    const load = traffic(gateway);
    await load.more(20);
    expect(load.served(c)).toBe(0);
    writeSecrets(secretsName, [a.entry, b.entry, c.entry]);
    const outcome = gateway.reload("SIGHUP");
    expect(outcome).toMatchObject({ ok: true, summary: { generation: 2, added: [c.url], removed: [], kept: [a.url, b.url] } });
    await waitFor(() => load.served(c) >= 5, "the new SFU to serve channels", 10_000);
    const { failures } = await load.stop();
    expect(failures).toEqual([]);
    expect(gateway.logs().find((entry) => entry.event === "reloaded")).toMatchObject({ trigger: "SIGHUP", generation: 2, added: [c.url] });
    expect(await addresses()).toEqual([a.url, b.url, c.url]);
  });

  test("a reload that removes an SFU: it gets no more traffic, and a request in flight on it still finishes 200", async () => {
    const load = traffic(gateway);
    await waitFor(() => load.served(b) >= 3, "the slow SFU to serve channels", 10_000);
    // A request for us-east goes to b first, and b holds it for 800 ms.
    const inflight = askChannel(gateway.url, gateway.key, { query: "region=us-east&inflight=1" });
    await waitFor(() => b.channelCalls().some((call) => call.query.includes("inflight=1")), "the marked request to reach b");
    writeSecrets(secretsName, [a.entry, c.entry]);
    expect(gateway.reload("SIGHUP")).toMatchObject({ ok: true, summary: { generation: 3, added: [], removed: [b.url], kept: [a.url, c.url] } });
    const answer = await inflight;
    expect(answer.status).toBe(200);
    expect((await bodyOf(answer)).url).toBe(b.url);
    // Requests that took the old configuration just before the reload may still reach b; none after.
    await Bun.sleep(300);
    const callsAfter = b.channelCalls().length;
    await load.more(50);
    expect(b.channelCalls().length).toBe(callsAfter);
    const { failures } = await load.stop();
    expect(failures).toEqual([]);
    expect(await addresses()).toEqual([a.url, c.url]);
  });

  test("an invalid file is refused with a log line naming the file and line; the running configuration stays", async () => {
    const load = traffic(gateway);
    await load.more(10);
    const generation = gateway.gateway.runtime.generation;
    // Five characters cannot be base64 (and upper-case Z never shows in a log line's UUIDs).
    const text = ["[[sfu]]", `address = "${a.url}"`, `key = "${a.key}"`, "", "[[sfu]]", `address = "${d.url}"`, 'key = "ZZZZZ"', ""].join("\n");
    writeFileSync(secrets, text);
    const outcome = gateway.reload("SIGHUP");
    expect(outcome.ok).toBe(false);
    const problems = (outcome as { problems: readonly string[] }).problems;
    expect(problems.join("\n")).toContain(`${secrets} line 5`);
    const refused = gateway.logs().filter((entry) => entry.event === "reload-refused").at(-1)!;
    expect(refused).toMatchObject({ level: "error", trigger: "SIGHUP", kept_generation: generation });
    expect((refused.problems as string[]).join("\n")).toContain(`${secrets} line 5`);
    expect(gateway.logText()).not.toContain("ZZZZZ");
    expect(gateway.gateway.runtime.generation).toBe(generation);
    await load.more(30);
    expect(d.channelCalls()).toHaveLength(0);
    const { failures } = await load.stop();
    expect(failures).toEqual([]);
    expect(await addresses()).toEqual([a.url, c.url]);
  });

  test("POST /admin/reload: refused without the admin key, 422 on an invalid file, else the summary", async () => {
    const load = traffic(gateway);
    const generation = gateway.gateway.runtime.generation;
    expect((await fetch(`${gateway.url}/admin/reload`, { method: "POST" })).status).toBe(401);
    // The file is still the invalid one of the previous test.
    const invalid = await admin(gateway, "/admin/reload");
    expect(invalid.status).toBe(422);
    expect(((await bodyOf(invalid)).problems as string[]).join("\n")).toContain(`${secrets} line 5`);
    expect(gateway.gateway.runtime.generation).toBe(generation);
    writeSecrets(secretsName, [a.entry, c.entry, d.entry]);
    const response = await admin(gateway, "/admin/reload");
    expect(response.status).toBe(200);
    expect(await bodyOf(response)).toEqual({ generation: generation + 1, added: [d.url], removed: [], kept: [a.url, c.url], warnings: [] });
    expect(gateway.logs().filter((entry) => entry.event === "reloaded").at(-1)).toMatchObject({ trigger: "admin API" });
    await waitFor(() => load.served(d) >= 3, "the SFU added through the admin API to serve channels", 10_000);
    const { failures } = await load.stop();
    expect(failures).toEqual([]);
  });

  test("SFUs that stay keep their state: drain flag, counters, and pinned issuers", async () => {
    const drained = await admin(gateway, "/admin/sfus/drain", { address: a.url });
    expect(drained.status).toBe(200);
    // An issuer pinned before the reload (to c or d: a is drained).
    const claims = odooClaims("B");
    const first = await bodyOf(askChannel(gateway.url, gateway.key, { claims }));
    expect([c.url, d.url]).toContain(first.url);
    const pinnedTo = first.url === c.url ? c : d;
    const other = pinnedTo === c ? d : c;
    const requestsBefore = pinnedTo.channelCalls().length;

    const load = traffic(gateway);
    await load.more(20);
    const aCalls = a.channelCalls().length;
    // The reload moves the pinned SFU to another place in the file and adds b back.
    writeSecrets(secretsName, [b.entry, other.entry, a.entry, pinnedTo.entry]);
    expect(gateway.reload("SIGHUP")).toMatchObject({ ok: true, summary: { added: [b.url], removed: [] } });
    await load.more(30);
    const { failures } = await load.stop();
    expect(failures).toEqual([]);

    const again = await bodyOf(askChannel(gateway.url, gateway.key, { claims }));
    expect(again).toEqual(first);
    const status = (await bodyOf(fetch(`${gateway.url}/status/json`))).sfus as { address: string; draining: boolean; requests: number; pins: number }[];
    const view = (one: TestSfu) => status.find((entry) => entry.address === one.url)!;
    expect(view(a).draining).toBe(true);
    expect(view(b).draining).toBe(false);
    expect(a.channelCalls().length).toBe(aCalls);
    // Counters carried over: every call the pinned SFU ever got, not only those since the reload.
    expect(view(pinnedTo).requests).toBe(pinnedTo.channelCalls().length);
    expect(view(pinnedTo).requests).toBeGreaterThan(requestsBefore);
    expect(view(pinnedTo).pins).toBeGreaterThan(0);
  });
});

describe("key rotation", () => {
  test('SFU_GATEWAY_KEY="<new>,<old>": tokens signed with either pass, a third key fails', async () => {
    const [fresh, old, other] = [newKey(), newKey(), newKey()];
    const one = sfu("eu-west");
    const gateway = gatewayOf([one.entry], { SFU_GATEWAY_KEY: `${fresh},${old}` }, { noMonitor: true });
    expect(gateway.config.gatewayKeys).toHaveLength(2);
    expect((await askChannel(gateway.url, fresh)).status).toBe(200);
    expect((await askChannel(gateway.url, old)).status).toBe(200);
    const refused = await askChannel(gateway.url, other);
    expect(refused.status).toBe(401);
    expect(one.channelCalls()).toHaveLength(2);
    expect(gateway.logText()).not.toContain(old);
  });

  test("an SFU's key changed in the secrets file, with that SFU restarted on the same port: after the reload requests pass", async () => {
    const first = startSfu("eu-west");
    const port = first.port;
    const secrets = writeSecrets("rotate.toml", [first.entry]);
    const gateway = gatewayOf([], {}, { secretsPath: secrets, noMonitor: true });
    expect((await askChannel(gateway.url, gateway.key)).status).toBe(200);

    // The SFU comes back with a new AUTH_KEY, same address: until the reload, it refuses our tokens.
    await first.stop();
    const rotated = sfu("eu-west", { port, key: newKey() });
    expect(rotated.url).toBe(first.url);
    const stale = await askChannel(gateway.url, gateway.key);
    expect(stale.status).toBe(502);
    expect((await bodyOf(stale)).error).toContain("check that its key");

    writeSecrets("rotate.toml", [rotated.entry]);
    expect(gateway.reload("SIGHUP")).toMatchObject({ ok: true, summary: { added: [], removed: [], kept: [rotated.url] } });
    for (let i = 0; i < 3; i++) {
      const response = await askChannel(gateway.url, gateway.key);
      expect(response.status).toBe(200);
      expect((await bodyOf(response)).url).toBe(rotated.url);
    }
    const verified = rotated.channelCalls().filter((call) => call.claims !== null);
    expect(verified).toHaveLength(3);
    expect(gateway.logText()).not.toContain(rotated.key);
  });
});
