/**
 * Resilience end to end: health probes, passive ejection, failover, retry cap and budget, drain,
 * status and readiness, over real HTTP, with the real app and stand-in SFUs that verify tokens
 * like odoo/sfu (some in-process with a switchable fault, some as separate processes to SIGKILL).
 * Odoo gives up after 3 s and stays peer-to-peer: every request to a fleet with a live SFU must get
 * a valid {uuid, url} from a live SFU within the deadline. Timing assertions have generous margins:
 * the machine is small and other tests may run meanwhile.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { bodyOf, type JsonBody } from "../support/http.ts";
import { startGateway, type TestGateway, waitFor } from "../support/gateway.ts";
import { newKey } from "../support/keys.ts";
import { odooClaims, odooToken } from "../support/odoo.ts";
import { startSfuProcess, type SfuProcess } from "../support/sfu-process.ts";
import { deadAddress, startSfu, type TestSfu } from "../support/sfus.ts";

const INTERVAL = 200;
const RISE = 2;
const FALL = 2;
const ATTEMPT_TIMEOUT = 300;
const DEADLINE = 2000;
/** What every answer must beat: the deadline plus a margin for a loaded machine, still below Odoo's 3 s. */
const ANSWER_WITHIN = 2500;
/** Added to every "within n probe intervals" wait. */
const SLACK = 2000;

const FAST: Record<string, string> = {
  SFU_GATEWAY_HEALTH_INTERVAL_MS: String(INTERVAL),
  SFU_GATEWAY_HEALTH_TIMEOUT_MS: "100",
  SFU_GATEWAY_HEALTH_RISE: String(RISE),
  SFU_GATEWAY_HEALTH_FALL: String(FALL),
  SFU_GATEWAY_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT),
  SFU_GATEWAY_DEADLINE_MS: String(DEADLINE),
};
const ADMIN_KEY = "resilience-admin-key-0123456789";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function gatewayOf(entries: Parameters<typeof startGateway>[0], env: Record<string, string> = {}, noMonitor = false): TestGateway {
  const gateway = startGateway(entries, env, { noMonitor });
  cleanups.push(() => gateway.stop());
  return gateway;
}

/** An in-process stand-in SFU in eu-west whose answers `fault` may replace (undefined: normal). */
function sfuWith(fault: (request: Request, path: string) => Response | Promise<Response> | undefined = () => undefined): TestSfu {
  const sfu = startSfu("eu-west", { override: (request, received) => fault(request, received.path) });
  cleanups.push(() => sfu.stop());
  return sfu;
}

// ---------------------------------------------------------------------------------------------
// Requests and the status view

interface Sample {
  /** 0 when the client gave up (3 s, as Odoo) or the connection failed. */
  readonly status: number;
  readonly body: JsonBody | null;
  readonly headers: Headers | null;
  readonly ms: number;
  /** Date.now() when sent and when answered. */
  readonly sentAt: number;
  readonly doneAt: number;
  /** performance.now() when sent: orders requests and events of this process strictly. */
  readonly sentTick: number;
}

/** One GET /v1/channel as Odoo sends it (a fresh issuer unless `claims` say otherwise), given up after 3 s. */
async function ask(gateway: TestGateway, claims: Record<string, unknown> = odooClaims("B"), query = ""): Promise<Sample> {
  const sentAt = Date.now();
  const started = performance.now();
  const sentTick = started;
  try {
    const response = await fetch(`${gateway.url}/v1/channel${query === "" ? "" : `?${query}`}`, {
      headers: { authorization: `jwt ${odooToken(claims, gateway.key, 30)}` },
      signal: AbortSignal.timeout(3000),
    });
    const text = await response.text();
    let body: JsonBody | null = null;
    try {
      body = JSON.parse(text) as JsonBody;
    } catch {}
    return { status: response.status, body, headers: response.headers, ms: performance.now() - started, sentAt, doneAt: Date.now(), sentTick };
  } catch {
    return { status: 0, body: null, headers: null, ms: performance.now() - started, sentAt, doneAt: Date.now(), sentTick };
  }
}

/** `clients` concurrent loops of fresh-issuer requests, until `count` requests are sent or `durationMs` passes. */
async function load(gateway: TestGateway, options: { clients: number; count?: number; durationMs?: number }): Promise<Sample[]> {
  const samples: Sample[] = [];
  let left = options.count ?? Number.POSITIVE_INFINITY;
  const end = performance.now() + (options.durationMs ?? Number.POSITIVE_INFINITY);
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (left-- > 0 && performance.now() < end) samples.push(await ask(gateway));
    }),
  );
  return samples;
}

/** A sample is a channel Odoo can use: 200, exactly {uuid, url}, within the deadline, from one of `live`. */
function expectChannel(sample: Sample, live: readonly { url: string }[]): void {
  expect({ status: sample.status, body: sample.body }).toMatchObject({ status: 200 });
  expect(Object.keys(sample.body!).sort()).toEqual(["url", "uuid"]);
  expect(typeof sample.body!.uuid).toBe("string");
  expect(live.map((sfu) => sfu.url)).toContain(sample.body!.url);
  expect(sample.ms).toBeLessThan(ANSWER_WITHIN);
}

/** The uuid names a channel the SFU named by url created (in-process SFUs). */
function expectCreatedBy(sample: Sample, sfus: readonly TestSfu[]): void {
  const sfu = sfus.find((candidate) => candidate.url === sample.body!.url)!;
  expect([...sfu.channels.values()].some((channel) => channel.uuid === sample.body!.uuid)).toBe(true);
}

async function statusOf(gateway: TestGateway): Promise<JsonBody> {
  return bodyOf(fetch(`${gateway.url}/status/json`));
}

async function sfuStatus(gateway: TestGateway, address: string): Promise<JsonBody> {
  const sfu = (await statusOf(gateway)).sfus.find((view: JsonBody) => view.address === address);
  if (sfu === undefined) throw new Error(`${address} is not in /status/json`);
  return sfu;
}

/** Waits until every SFU has been probed with success and is up. */
async function allUp(gateway: TestGateway): Promise<void> {
  await waitFor(
    async () => (await statusOf(gateway)).sfus.every((sfu: JsonBody) => sfu.state === "up" && sfu.last_probe?.ok === true),
    "every SFU probed and up",
    INTERVAL * RISE + SLACK,
  );
}

async function waitState(gateway: TestGateway, address: string, state: "up" | "down", withinMs: number): Promise<JsonBody> {
  let view: JsonBody = {};
  await waitFor(
    async () => {
      view = await sfuStatus(gateway, address);
      return view.state === state;
    },
    `${address} ${state}`,
    withinMs,
  );
  return view;
}

const stateLogs = (gateway: TestGateway, address: string, event: "sfu-down" | "sfu-up" | "sfu-drained" | "sfu-undrained") =>
  gateway.logs().filter((line) => line.event === event && line.sfu === address);

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

// ---------------------------------------------------------------------------------------------
// 1. Each fault

interface BadSfu {
  readonly entry: { address: string; key: string; region: string };
  /** /v1/channel requests it received (0 for an address nothing listens on). */
  readonly calls: () => number;
  /** Turns the fault on. */
  readonly breakIt: () => unknown;
}

interface Fault {
  readonly name: string;
  /** "start": broken from the start; "later": healthy during a warm-up, broken mid-test. */
  readonly when: "start" | "later";
  readonly make: () => BadSfu;
  /** What the reason in /status/json names. */
  readonly reason: RegExp;
  /** A request that meets the fault waits for the attempt time out before failing over. */
  readonly waits: boolean;
}

/** An SFU healthy until `breakIt`, then answering as `broken` says (undefined: normally). */
function switchable(broken: (request: Request, path: string, sfu: () => TestSfu) => Response | Promise<Response> | undefined): BadSfu {
  let on = false;
  const sfu: TestSfu = sfuWith((request, path) => (on ? broken(request, path, () => sfu) : undefined));
  return { entry: { address: sfu.url, key: sfu.key, region: "eu-west" }, calls: () => sfu.channelCalls().length, breakIt: () => (on = true) };
}

const FAULTS: readonly Fault[] = [
  {
    name: "refuses connections (nothing listens)",
    when: "start",
    make: () => ({ entry: { address: deadAddress(), key: newKey(), region: "eu-west" }, calls: () => 0, breakIt: () => {} }),
    reason: /refused the connection/,
    waits: false,
  },
  {
    name: "stops listening mid-test (connections refused)",
    when: "later",
    make: () => {
      const sfu = sfuWith();
      return { entry: { address: sfu.url, key: sfu.key, region: "eu-west" }, calls: () => sfu.channelCalls().length, breakIt: () => sfu.stop() };
    },
    reason: /refused the connection|closed the connection/,
    waits: false,
  },
  {
    name: "hangs (never answers, probes included)",
    when: "later",
    make: () => switchable(() => new Promise<Response>(() => {})),
    reason: /did not answer within/,
    waits: true,
  },
  {
    name: "answers 500 to everything",
    when: "later",
    make: () => switchable(() => new Response(null, { status: 500 })),
    reason: /HTTP 500/,
    waits: false,
  },
  {
    name: "answers /v1/channel with a 200 that is not JSON (probes pass)",
    when: "later",
    make: () => switchable((_, path) => (path === "/v1/channel" ? new Response("<html>oops</html>", { headers: { "content-type": "text/html" } }) : undefined)),
    reason: /ejected: .*not JSON/,
    waits: false,
  },
  {
    name: "answers /v1/channel with a 200 without url (probes pass)",
    when: "later",
    make: () => switchable((_, path) => (path === "/v1/channel" ? Response.json({ uuid: randomUUID() }) : undefined)),
    reason: /ejected: .*url is missing/,
    waits: false,
  },
  {
    name: "becomes slow mid-test (1.5 s, longer than the attempt time out)",
    when: "later",
    make: () =>
      switchable(async (_, path, sfu) => {
        await Bun.sleep(1500);
        if (path === "/v1/channel") return Response.json({ uuid: randomUUID(), url: sfu().url });
        return Response.json({ result: "ok" });
      }),
    reason: /did not answer within/,
    waits: true,
  },
];

describe("1. each fault, three SFUs in one region", () => {
  test.each(FAULTS)("an SFU that $name: every request still gets a live SFU's channel in time; the bad one goes down and out", async (fault) => {
    const good = [sfuWith(), sfuWith()] as const;
    const bad = fault.make();
    // Long ejections: an ejected SFU whose probes pass stays out for the whole test.
    const gateway = gatewayOf([good[0].entry, bad.entry, good[1].entry], { ...FAST, SFU_GATEWAY_EJECT_BASE_MS: "30000" });

    if (fault.when === "later") {
      await allUp(gateway);
      const warm = await load(gateway, { clients: 3, count: 9 });
      for (const sample of warm) expect(sample.status).toBe(200);
      expect(bad.calls()).toBeGreaterThan(0);
      await bad.breakIt();
    }
    const brokenAt = Date.now();
    const linesBefore = gateway.logs().length;

    const during = await load(gateway, { clients: 3, count: 30 });
    for (const sample of during) {
      expectChannel(sample, good);
      expectCreatedBy(sample, good);
    }
    const channelLines = gateway.logs().slice(linesBefore).filter((line) => line.event === "channel");
    if (fault.when === "later") {
      // The fault was met on the request path and failed over, not only found by probes.
      expect(channelLines.some((line) => (line.attempts as number) >= 2 && line.status === 200)).toBe(true);
    }
    if (fault.waits && fault.when === "later") {
      // A request that met it waited one attempt time out, then got its channel elsewhere within the deadline.
      expect(during.some((sample) => sample.ms >= ATTEMPT_TIMEOUT - 20)).toBe(true);
    }

    const down = await waitState(gateway, bad.entry.address, "down", FALL * INTERVAL + SLACK);
    expect(down.reason).toMatch(fault.reason);
    expect(down.usable).toBe(false);
    expect(Date.parse(down.since)).toBeGreaterThanOrEqual(brokenAt - 50);

    // Let attempts in flight end, then: no more traffic to it.
    await Bun.sleep(ATTEMPT_TIMEOUT + 100);
    const callsOut = bad.calls();
    const requestsOut = (await sfuStatus(gateway, bad.entry.address)).requests;
    const after = await load(gateway, { clients: 3, count: 30 });
    for (const sample of after) expectChannel(sample, good);
    expect(bad.calls()).toBe(callsOut);
    const still = await sfuStatus(gateway, bad.entry.address);
    expect(still.requests).toBe(requestsOut);
    expect(still.state).toBe("down");

    // Down once, logged once, whatever the number of requests that met it.
    expect(stateLogs(gateway, bad.entry.address, "sfu-down").length).toBe(1);
    expect(stateLogs(gateway, bad.entry.address, "sfu-up").length).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Kill under load

describe("2. an SFU process SIGKILLed under load", () => {
  const processes: SfuProcess[] = [];
  afterEach(async () => {
    for (const sfu of processes.splice(0)) await sfu.stop();
  });

  test("every request gets a live SFU's channel in time; the dead one is out within fall time and back after a restart", async () => {
    for (let i = 0; i < 3; i++) processes.push(await startSfuProcess({ region: "eu-west" }));
    const [first, victim, third] = processes as [SfuProcess, SfuProcess, SfuProcess];
    // A short ejection: the restart comes after it, so probes alone decide when it is back.
    const gateway = gatewayOf(processes.map((sfu) => sfu.entry), { ...FAST, SFU_GATEWAY_EJECT_BASE_MS: "500" });
    await allUp(gateway);

    const LOAD_MS = 3500;
    const started = Date.now();
    const running = load(gateway, { clients: 20, durationMs: LOAD_MS });
    await Bun.sleep(1000);
    const killAt = Date.now();
    // kill() sends SIGKILL before it first awaits: every request sent after this tick was sent after the kill.
    const killing = victim.kill();
    const killTick = performance.now();
    await killing;
    const down = await waitState(gateway, victim.url, "down", FALL * INTERVAL + SLACK);
    const detectedMs = Date.parse(down.since) - killAt;
    // Restart mid-load, once the ejection time out is surely over.
    await Bun.sleep(Math.max(0, started + 2000 - Date.now()));
    const restartTick = performance.now();
    await victim.restart();
    const restartedAt = Date.now();
    const up = await waitState(gateway, victim.url, "up", RISE * INTERVAL + SLACK);
    const backMs = Date.parse(up.since) - restartedAt;
    const samples = await running;

    const ok = samples.filter((sample) => sample.status === 200);
    const latencies = samples.map((sample) => sample.ms);
    const p99 = percentile(latencies, 99);
    const afterKill = samples.filter((sample) => sample.sentTick >= killTick && sample.sentTick < killTick + 1000).map((sample) => sample.ms);
    console.log(
      `[kill under load] requests ${samples.length}, success ${((100 * ok.length) / samples.length).toFixed(2)} %, ` +
        `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms, ` +
        `p99 in the 1 s after the kill ${percentile(afterKill, 99).toFixed(1)} ms; ` +
        `down ${detectedMs} ms after the kill (${down.reason}); up ${backMs} ms after the restart (${up.reason})`,
    );

    expect(samples.length).toBeGreaterThan(100);
    const survivors = [first, third];
    for (const sample of samples) {
      // The dead one's url only for requests sent before the kill, or after it was started again.
      const live = sample.sentTick < killTick || sample.sentTick > restartTick ? processes : survivors;
      expectChannel(sample, live);
    }
    // Every channel named exists on the process that answered (the victim's first life is gone).
    const uuids = new Map(await Promise.all(processes.map(async (sfu) => [sfu.url, new Set(await sfu.uuids())] as const)));
    for (const sample of ok) {
      if (sample.body!.url === victim.url && sample.sentTick < restartTick) continue;
      expect(uuids.get(sample.body!.url)!.has(sample.body!.uuid)).toBe(true);
    }

    expect(detectedMs).toBeGreaterThanOrEqual(0);
    expect(detectedMs).toBeLessThan(FALL * INTERVAL + SLACK);
    expect(backMs).toBeLessThan(RISE * INTERVAL + SLACK);
    // A crashed SFU comes back on probes, `rise` in a row, not on one lucky probe.
    expect(up.reason).toContain(`${RISE} probes in a row succeeded`);
    // One down and one up, however many requests met it meanwhile.
    expect(stateLogs(gateway, victim.url, "sfu-down").length).toBe(1);
    expect(stateLogs(gateway, victim.url, "sfu-up").length).toBe(1);

    // Back in rotation.
    const callsBefore = await victim.calls();
    for (let i = 0; i < 6; i++) expectChannel(await ask(gateway), processes);
    expect(await victim.calls()).toBeGreaterThan(callsBefore);
  });
});

describe("2b. an idle SFU process SIGKILLed: found by probes alone", () => {
  const processes: SfuProcess[] = [];
  afterEach(async () => {
    for (const sfu of processes.splice(0)) await sfu.stop();
  });

  test("down after fall probes in a row failed, up after rise probes in a row succeeded, each logged once", async () => {
    for (let i = 0; i < 3; i++) processes.push(await startSfuProcess({ region: "eu-west" }));
    const victim = processes[0]!;
    const gateway = gatewayOf(processes.map((sfu) => sfu.entry), FAST);
    await allUp(gateway);

    const killAt = Date.now();
    await victim.kill();
    const down = await waitState(gateway, victim.url, "down", FALL * INTERVAL + SLACK);
    const detectedMs = Date.parse(down.since) - killAt;
    expect(down.reason).toMatch(new RegExp(`^${FALL} probes in a row failed: the SFU (refused|closed) the connection`));
    // Not on the first failed probe: fall of them, about an interval apart.
    expect(detectedMs).toBeGreaterThanOrEqual((FALL - 1) * INTERVAL - 50);
    expect(detectedMs).toBeLessThan(FALL * INTERVAL + SLACK);
    for (const sample of await load(gateway, { clients: 2, count: 10 })) expectChannel(sample, processes.slice(1));

    await victim.restart();
    const restartedAt = Date.now();
    const up = await waitState(gateway, victim.url, "up", RISE * INTERVAL + SLACK);
    const backMs = Date.parse(up.since) - restartedAt;
    expect(up.reason).toBe(`${RISE} probes in a row succeeded`);
    expect(backMs).toBeGreaterThanOrEqual((RISE - 1) * INTERVAL - 50);
    expect(backMs).toBeLessThan(RISE * INTERVAL + SLACK);
    console.log(`[idle kill] down ${detectedMs} ms after the kill (${down.reason}); up ${backMs} ms after the restart`);
    expect(stateLogs(gateway, victim.url, "sfu-down").length).toBe(1);
    expect(stateLogs(gateway, victim.url, "sfu-up").length).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Retry cap, retry budget, nothing usable

describe("3. retry cap and budget; nothing usable", () => {
  const failing = () => sfuWith((_, path) => (path === "/v1/channel" ? new Response(null, { status: 500 }) : undefined));
  const totalCalls = (sfus: readonly TestSfu[]) => sfus.reduce((sum, sfu) => sum + sfu.channelCalls().length, 0);

  test.each([1, 2, 3, 4])("with every SFU answering 500, a request tries at most SFU_GATEWAY_MAX_ATTEMPTS=%d SFUs, then 502", async (maxAttempts) => {
    const sfus = [failing(), failing(), failing(), failing(), failing()];
    const gateway = gatewayOf(
      sfus.map((sfu) => sfu.entry),
      { ...FAST, SFU_GATEWAY_MAX_ATTEMPTS: String(maxAttempts), SFU_GATEWAY_EJECT_AFTER: "0" },
      true,
    );
    const sample = await ask(gateway);
    expect(sample.status).toBe(502);
    expect(sample.body!.sfu_status).toBe(500);
    expect(totalCalls(sfus)).toBe(maxAttempts);
    if (maxAttempts === 1) {
      expect(sample.body!.attempts).toBeUndefined();
    } else {
      const tried = (sample.body!.attempts as JsonBody[]).map((attempt) => attempt.sfu);
      expect(tried.length).toBe(maxAttempts);
      expect(new Set(tried).size).toBe(maxAttempts);
      expect(new Set(tried)).toEqual(new Set(sfus.filter((sfu) => sfu.channelCalls().length === 1).map((sfu) => sfu.url)));
      for (const attempt of sample.body!.attempts as JsonBody[]) expect(attempt.error).toContain("HTTP 500");
    }
  });

  test("with SFU_GATEWAY_RETRY_BUDGET_PERCENT=0 and SFU_GATEWAY_RETRY_MIN_PER_SECOND=0 no retry is made", async () => {
    const sfus = [failing(), failing(), failing()];
    const gateway = gatewayOf(
      sfus.map((sfu) => sfu.entry),
      { ...FAST, SFU_GATEWAY_RETRY_BUDGET_PERCENT: "0", SFU_GATEWAY_RETRY_MIN_PER_SECOND: "0", SFU_GATEWAY_EJECT_AFTER: "0" },
      true,
    );
    for (let i = 1; i <= 3; i++) {
      const sample = await ask(gateway);
      expect(sample.status).toBe(502);
      expect(sample.body!.retry).toContain("retry budget");
      expect(sample.body!.attempts).toBeUndefined();
      expect(totalCalls(sfus)).toBe(i);
    }
  });

  test.each([
    // percent, per second, calls made by each of 7 requests (3 SFUs, 3 attempts at most)
    [0, 1, [3, 3, 3, 3, 3, 1, 1]], // 1 a second = 10 retries in the 10 s window, then none
    [50, 0, [1, 2, 1, 2, 1, 2, 1]], // half a retry per request
    [100, 0, [2, 2, 2, 2, 2, 2, 2]], // one retry per request
  ] as const)("the retry budget (%d %% + %d/s) caps retries across requests", async (percent, perSecond, expected) => {
    const sfus = [failing(), failing(), failing()];
    const gateway = gatewayOf(
      sfus.map((sfu) => sfu.entry),
      { ...FAST, SFU_GATEWAY_RETRY_BUDGET_PERCENT: String(percent), SFU_GATEWAY_RETRY_MIN_PER_SECOND: String(perSecond), SFU_GATEWAY_EJECT_AFTER: "0" },
      true,
    );
    const calls: number[] = [];
    for (const _ of expected) {
      const before = totalCalls(sfus);
      const sample = await ask(gateway);
      expect(sample.status).toBe(502);
      calls.push(totalCalls(sfus) - before);
      if (calls.at(-1)! < 3) expect(sample.body!.retry).toContain("retry budget");
    }
    expect(calls).toEqual([...expected]);
  });

  test.each(["down", "drained"] as const)("every SFU %s → 503 with Retry-After; /ready 503; /health 200", async (how) => {
    const admin = { SFU_GATEWAY_ADMIN_KEY: ADMIN_KEY };
    const sfus = how === "down" ? [] : [sfuWith(), sfuWith(), sfuWith()];
    const entries = how === "down" ? [0, 1, 2].map(() => ({ address: deadAddress(), key: newKey(), region: "eu-west" })) : sfus.map((sfu) => sfu.entry);
    const gateway = gatewayOf(entries, { ...FAST, ...admin });
    if (how === "down") {
      for (const entry of entries) await waitState(gateway, entry.address, "down", FALL * INTERVAL + SLACK);
    } else {
      for (const entry of entries) expect((await drainCall(gateway, "drain", entry.address)).status).toBe(200);
    }
    const sample = await ask(gateway);
    expect(sample.status).toBe(503);
    expect(Number(sample.headers!.get("retry-after"))).toBeGreaterThan(0);
    expect(sample.body!.error).toContain("no SFU is usable");
    expect(totalCalls(sfus)).toBe(0);
    const ready = await fetch(`${gateway.url}/ready`);
    expect(ready.status).toBe(503);
    expect((await bodyOf(ready)).reason).toContain("no SFU is usable");
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    expect((await statusOf(gateway)).ready).toBe(false);

    if (how === "drained") {
      expect((await drainCall(gateway, "undrain", entries[1]!.address)).status).toBe(200);
      expect((await fetch(`${gateway.url}/ready`)).status).toBe(200);
      expectChannel(await ask(gateway), [sfus[1]!]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Whose fault: the caller's 4xx vs the gateway's wrong key

describe("4. caller errors vs SFU errors", () => {
  /** odoo/sfu (recording branch): 400 when recordingAddress is given without a key claim. */
  const recordingRule = (request: Request, path: string) => {
    if (path !== "/v1/channel" || !new URL(request.url).searchParams.has("recordingAddress")) return undefined;
    const token = request.headers.get("authorization")?.split(" ")[1] ?? "";
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64").toString() || "{}") as JsonBody;
    return claims.key === undefined ? new Response(null, { status: 400 }) : undefined;
  };

  test("a 400 caused by the request is not retried and not held against the SFU", async () => {
    const sfus = [sfuWith(recordingRule), sfuWith(recordingRule), sfuWith(recordingRule)];
    const gateway = gatewayOf(sfus.map((sfu) => sfu.entry), FAST);
    await allUp(gateway);
    const query = "recordingAddress=http%3A%2F%2Fodoo%3A8069";
    // More than SFU_GATEWAY_EJECT_AFTER (3) of them: still no ejection.
    for (let i = 1; i <= 5; i++) {
      const sample = await ask(gateway, odooClaims("A"), query);
      expect(sample.status).toBe(502);
      expect(sample.body!.sfu_status).toBe(400);
      expect(sample.body!.attempts).toBeUndefined();
      expect(sfus.reduce((sum, sfu) => sum + sfu.channelCalls().length, 0)).toBe(i);
    }
    for (const view of (await statusOf(gateway)).sfus as JsonBody[]) {
      expect(view).toMatchObject({ state: "up", consecutive_failures: 0, failures: 0, ejections: 0, last_error: null });
    }
    expect(gateway.logs().some((line) => line.event === "sfu-down")).toBe(false);
    // The same request with a key claim (variant C) is served.
    expectChannel(await ask(gateway, odooClaims("C"), query), sfus);
  });

  test.each([401, 403])("a %d from an SFU (the gateway has its key wrong) counts against it and the request fails over", async (status) => {
    const wrong = sfuWith((_, path) => (path === "/v1/channel" ? new Response(null, { status }) : undefined));
    const good = [sfuWith(), sfuWith()];
    const gateway = gatewayOf([good[0]!.entry, wrong.entry, good[1]!.entry], FAST, true);
    // Round-robin over three: each SFU comes first once.
    const samples = [await ask(gateway), await ask(gateway), await ask(gateway)];
    for (const sample of samples) expectChannel(sample, good);
    expect(wrong.channelCalls().length).toBe(1);
    expect(gateway.logs().filter((line) => line.event === "channel" && line.attempts === 2).length).toBe(1);
    const view = await sfuStatus(gateway, wrong.url);
    expect(view).toMatchObject({ consecutive_failures: 1, failures: 1, requests: 1 });
    expect(view.last_error.message).toContain(`HTTP ${status}`);
    expect(view.last_error.message).toContain("AUTH_KEY");
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Drain and undrain over HTTP; state-change logs

function drainCall(gateway: TestGateway, action: "drain" | "undrain", address: string, authorization: string | null = `Bearer ${ADMIN_KEY}`) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (authorization !== null) headers.authorization = authorization;
  return fetch(`${gateway.url}/admin/sfus/${action}`, { method: "POST", headers, body: JSON.stringify({ address }) });
}

describe("5. drain and undrain", () => {
  test.each([
    ["no Authorization", 401, null],
    ["a wrong key", 401, `Bearer ${ADMIN_KEY}x`],
    ["the key under another scheme", 401, `Basic ${ADMIN_KEY}`],
  ] as const)("%s → %d, and nothing drained", async (_, status, authorization) => {
    const sfu = sfuWith();
    const gateway = gatewayOf([sfu.entry], { ...FAST, SFU_GATEWAY_ADMIN_KEY: ADMIN_KEY }, true);
    for (const action of ["drain", "undrain"] as const) {
      const response = await drainCall(gateway, action, sfu.url, authorization);
      expect(response.status).toBe(status);
      expect((await bodyOf(response)).error).toContain("admin key required");
    }
    expect((await sfuStatus(gateway, sfu.url)).draining).toBe(false);
    expect(gateway.logs().some((line) => line.event === "sfu-drained")).toBe(false);
  });

  test("an unknown address → 404 naming the known ones", async () => {
    const sfu = sfuWith();
    const gateway = gatewayOf([sfu.entry], { ...FAST, SFU_GATEWAY_ADMIN_KEY: ADMIN_KEY }, true);
    const response = await drainCall(gateway, "drain", "http://127.0.0.1:1");
    expect(response.status).toBe(404);
    expect(await bodyOf(response)).toMatchObject({ known: [sfu.url] });
  });

  test("without an admin key configured every admin route → 404", async () => {
    const sfu = sfuWith();
    const gateway = gatewayOf([sfu.entry], FAST, true);
    const answers = [
      await drainCall(gateway, "drain", sfu.url),
      await drainCall(gateway, "undrain", sfu.url),
      await fetch(`${gateway.url}/admin/reload`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_KEY}` } }),
      await fetch(`${gateway.url}/admin/explain`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }),
    ];
    for (const response of answers) {
      expect(response.status).toBe(404);
      expect((await bodyOf(response)).error).toContain("admin API is off");
    }
    expect((await sfuStatus(gateway, sfu.url)).draining).toBe(false);
  });

  test("a drained SFU gets no new channel, pinned issuers included, keeps being probed; undrain restores it", async () => {
    const sfus = [sfuWith(), sfuWith(), sfuWith()];
    const gateway = gatewayOf(sfus.map((sfu) => sfu.entry), { ...FAST, SFU_GATEWAY_ADMIN_KEY: ADMIN_KEY });
    await allUp(gateway);
    // An issuer pinned to the SFU that created its channel; that SFU gets drained.
    const pinnedClaims = odooClaims("B");
    const first = await ask(gateway, pinnedClaims);
    expectChannel(first, sfus);
    expect((await ask(gateway, pinnedClaims)).body).toEqual(first.body!);
    const drained = sfus.find((sfu) => sfu.url === first.body!.url)!;
    const others = sfus.filter((sfu) => sfu !== drained);

    const response = await drainCall(gateway, "drain", `${drained.url}/`);
    expect(response.status).toBe(200);
    expect(await bodyOf(response)).toMatchObject({ address: drained.url, draining: true, changed: true, sfu: { draining: true, usable: false, state: "up" } });
    const again = await bodyOf(drainCall(gateway, "drain", drained.url));
    expect(again).toMatchObject({ draining: true, changed: false });

    const callsAtDrain = drained.channelCalls().length;
    const moved = await ask(gateway, pinnedClaims);
    expectChannel(moved, others);
    for (const sample of await load(gateway, { clients: 3, count: 12 })) expectChannel(sample, others);
    expect(drained.channelCalls().length).toBe(callsAtDrain);

    const view = await sfuStatus(gateway, drained.url);
    expect(view).toMatchObject({ draining: true, usable: false, state: "up" });
    // Still probed: its last probe keeps moving.
    await waitFor(
      async () => Date.parse((await sfuStatus(gateway, drained.url)).last_probe.at) > Date.parse(view.last_probe.at) + INTERVAL,
      "a later probe of the drained SFU",
      3 * INTERVAL + SLACK,
    );
    expect((await fetch(`${gateway.url}/ready`)).status).toBe(200);

    const undrained = await bodyOf(drainCall(gateway, "undrain", drained.url));
    expect(undrained).toMatchObject({ address: drained.url, draining: false, changed: true, sfu: { draining: false, usable: true } });
    const back = await load(gateway, { clients: 1, count: 6 });
    for (const sample of back) expectChannel(sample, sfus);
    expect(back.some((sample) => sample.body!.url === drained.url)).toBe(true);
    expect(drained.channelCalls().length).toBeGreaterThan(callsAtDrain);

    expect(stateLogs(gateway, drained.url, "sfu-drained").length).toBe(1);
    expect(stateLogs(gateway, drained.url, "sfu-undrained").length).toBe(1);
    // Draining is not a health change.
    expect(stateLogs(gateway, drained.url, "sfu-down").length).toBe(0);
  });

  test("an SFU going down and up is logged once per change, not once per request or probe", async () => {
    let broken = false;
    const flaky = sfuWith((_, path) => (broken ? new Response(null, { status: 503 }) : undefined));
    const steady = [sfuWith(), sfuWith()];
    const gateway = gatewayOf([flaky.entry, ...steady.map((sfu) => sfu.entry)], FAST);
    await allUp(gateway);
    broken = true;
    const down = await waitState(gateway, flaky.url, "down", FALL * INTERVAL + SLACK);
    for (const sample of await load(gateway, { clients: 2, count: 20 })) expectChannel(sample, steady);
    await Bun.sleep(3 * INTERVAL);
    broken = false;
    const up = await waitState(gateway, flaky.url, "up", RISE * INTERVAL + SLACK);
    await Bun.sleep(3 * INTERVAL);
    const downs = stateLogs(gateway, flaky.url, "sfu-down");
    const ups = stateLogs(gateway, flaky.url, "sfu-up");
    expect(downs.length).toBe(1);
    expect(ups.length).toBe(1);
    expect(downs[0]).toMatchObject({ level: "warn", from: "up", to: "down", region: "eu-west" });
    expect(String(downs[0]!.reason)).toContain("HTTP 503");
    expect(downs[0]!.reason).toBe(down.reason);
    expect(ups[0]).toMatchObject({ level: "info", from: "down", to: "up", reason: up.reason });
  });
});

// ---------------------------------------------------------------------------------------------
// 6. The status view

describe("6. /status/json", () => {
  test("lists every SFU with its health, drain and counters, and never a key", async () => {
    const good = sfuWith();
    const failing = sfuWith((_, path) => (path === "/v1/channel" ? new Response(null, { status: 500 }) : undefined));
    const drained = sfuWith();
    const dead = { address: deadAddress(), key: newKey(), region: "eu-west" };
    const entries = [good.entry, failing.entry, drained.entry, dead];
    const gateway = gatewayOf(entries, { ...FAST, SFU_GATEWAY_ADMIN_KEY: ADMIN_KEY });
    await waitState(gateway, dead.address, "down", FALL * INTERVAL + SLACK);
    const drainAnswer = await (await drainCall(gateway, "drain", drained.url)).text();
    for (const sample of await load(gateway, { clients: 2, count: 8 })) expectChannel(sample, [good]);

    const response = await fetch(`${gateway.url}/status/json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const raw = await response.text();
    const status = JSON.parse(raw) as JsonBody;
    expect(status.sfus.map((sfu: JsonBody) => sfu.address)).toEqual(entries.map((entry) => entry.address));
    for (const sfu of status.sfus as JsonBody[]) {
      expect(sfu).toMatchObject({ region: "eu-west" });
      expect(["up", "down"]).toContain(sfu.state);
      expect(Number.isNaN(Date.parse(sfu.since))).toBe(false);
      expect(typeof sfu.reason).toBe("string");
      expect(sfu.reason.length).toBeGreaterThan(0);
      expect(typeof sfu.last_probe.ok).toBe("boolean");
      expect(Number.isNaN(Date.parse(sfu.last_probe.at))).toBe(false);
      expect(typeof sfu.last_probe.ms).toBe("number");
      for (const field of ["consecutive_failures", "ejections", "requests", "failures"]) expect(typeof sfu[field]).toBe("number");
      expect(typeof sfu.draining).toBe("boolean");
      expect("last_error" in sfu).toBe(true);
      expect(Object.keys(sfu).some((name) => /key|secret|token/i.test(name))).toBe(false);
    }
    const [goodView, failingView, drainedView, deadView] = status.sfus as JsonBody[];
    expect(goodView).toMatchObject({ state: "up", draining: false, usable: true, failures: 0, last_error: null, last_probe: { ok: true, error: null } });
    expect(goodView!.requests).toBeGreaterThanOrEqual(8);
    // Its probes pass; its channel calls fail: out by passive ejection (3 failed calls in a row).
    expect(failingView).toMatchObject({ state: "down", usable: false, ejections: 1, failures: 3, consecutive_failures: 3, last_probe: { ok: true } });
    expect(failingView!.reason).toContain("ejected: 3 channel calls in a row failed");
    expect(Number.isNaN(Date.parse(failingView!.ejected_until))).toBe(false);
    expect(failingView!.last_error.message).toContain("HTTP 500");
    expect(Number.isNaN(Date.parse(failingView!.last_error.at))).toBe(false);
    expect(drainedView).toMatchObject({ state: "up", draining: true, usable: false, requests: 0 });
    expect(deadView).toMatchObject({ state: "down", usable: false, last_probe: { ok: false } });
    expect(deadView!.reason).toContain("refused the connection");
    expect(deadView!.last_probe.error).toContain("refused the connection");
    expect(status.ready).toBe(true);

    const texts = {
      "/status/json": raw,
      "/status": await (await fetch(`${gateway.url}/status`)).text(),
      "/metrics": await (await fetch(`${gateway.url}/metrics`)).text(),
      "/admin/explain": await (await fetch(`${gateway.url}/admin/explain`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).text(),
      "the drain answer": drainAnswer,
      logs: gateway.logText(),
    };
    const secrets = [gateway.key, ...entries.map((entry) => entry.key)].flatMap((key) => {
      const bytes = Buffer.from(key, "base64");
      return [key, key.replace(/=+$/, ""), bytes.toString("base64url"), bytes.toString("hex")];
    });
    secrets.push(ADMIN_KEY);
    for (const [where, text] of Object.entries(texts)) {
      expect(text.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        if (text.includes(secret)) throw new Error(`${where} contains a key (${secret.slice(0, 6)}…)`);
      }
    }
  });
});

describe("the admin key is checked before the request itself", () => {
  test.each([
    ["no key", {}, 401],
    ["a wrong key", { authorization: "Bearer not-the-admin-key-at-all" }, 401],
  ] as const)("a malformed drain body with %s → %d, not 400", async (_, headers, status) => {
    const gateway = startGateway([], { SFU_GATEWAY_ADMIN_KEY: "an-admin-key-for-the-order-test" }, { noMonitor: true });
    try {
      for (const path of ["/admin/sfus/drain", "/admin/sfus/undrain", "/admin/reload"]) {
        const response = await fetch(`${gateway.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: "{not json" });
        expect(response.status).toBe(status);
        expect((await bodyOf(response)).error).toContain("admin key required");
      }
    } finally {
      await gateway.stop();
    }
  });

  test("with the admin API off, a malformed body → 404", async () => {
    const gateway = startGateway([], {}, { noMonitor: true });
    try {
      const response = await fetch(`${gateway.url}/admin/sfus/drain`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
      expect(response.status).toBe(404);
      expect((await bodyOf(response)).error).toContain("admin API is off");
    } finally {
      await gateway.stop();
    }
  });
});
