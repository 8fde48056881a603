/**
 * Choosing the SFU, end to end: the real app on a real port in front of stand-in SFUs (and, for the
 * hash strategy, two compiled gateway processes). Coalescing, issuer affinity, hash agreement
 * across replicas, least-loaded spreading and staleness, caller rules and their precedence, and the
 * explain endpoint, each checked by where real requests land.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DemoSfuOptions } from "../../src/demo/sfu.ts";
import { BUILT } from "../support/binary.ts";
import { bodyOf, type JsonBody } from "../support/http.ts";
import { type SfuEntry, startGateway, type StartOptions, type TestGateway, waitFor } from "../support/gateway.ts";
import { newKey } from "../support/keys.ts";
import { askChannel, freshChannelId, odooClaims } from "../support/odoo.ts";
import { deadAddress, startSfu, type TestSfu } from "../support/sfus.ts";

const ADMIN_KEY = "selection-test-admin-key-0123456789";

const stops: (() => unknown)[] = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

// ---------------------------------------------------------------------------------------------
// Helpers

interface FakeOptions {
  /** /v1/channel answers after this delay (idempotent per caller and iss, as odoo/sfu). */
  readonly delayMs?: number;
  /** Replaces the /v1/stats answer. */
  readonly stats?: () => Response;
}

/** A stand-in SFU, optionally slow on /v1/channel and with custom /v1/stats. */
function sfu(region?: string, fake: FakeOptions = {}): TestSfu {
  const uuids = new Map<string, string>();
  let self: TestSfu | undefined;
  const override: DemoSfuOptions["override"] = (request, received) => {
    const path = new URL(request.url).pathname;
    if (path === "/v1/stats" && fake.stats !== undefined) return fake.stats();
    if (path === "/v1/channel" && fake.delayMs !== undefined) {
      const iss = received.claims?.iss;
      if (typeof iss !== "string") return new Response(null, { status: received.claims === null ? 500 : 403 });
      const id = `${request.headers.get("x-forwarded-for")}::${iss}`;
      const uuid = uuids.get(id) ?? randomUUID();
      uuids.set(id, uuid);
      return Bun.sleep(fake.delayMs).then(() => Response.json({ uuid, url: self!.url }));
    }
    return undefined;
  };
  self = startSfu(region, { override });
  stops.push(() => self!.stop());
  return self;
}

/** A /v1/stats body as odoo/sfu gives it: one channel per entry of `counts`, with its session count. */
function statsBody(...counts: number[]): Response {
  return Response.json(
    counts.map((count) => ({
      createDate: new Date().toISOString(),
      uuid: randomUUID(),
      remoteAddress: "127.0.0.1",
      sessionsStats: { incomingBitRate: { audio: 0, camera: 0, screen: 0, total: 0 }, count, cameraCount: 0, screenCount: 0 },
      webRtcEnabled: true,
    })),
  );
}

function gatewayOver(entries: readonly SfuEntry[], env: Record<string, string> = {}, options: StartOptions = {}): TestGateway {
  const gateway = startGateway(entries, { SFU_GATEWAY_ADMIN_KEY: ADMIN_KEY, ...env }, options);
  stops.push(() => gateway.stop());
  return gateway;
}

const withCapacity = (one: TestSfu, capacity: number, weight?: number): SfuEntry => ({ ...one.entry, capacity, ...(weight === undefined ? {} : { weight }) });

/** Claims of a fresh Odoo call on `host`. */
const callOn = (host: string, channelId = freshChannelId()) => ({ iss: `https://${host}:channel:${channelId}`, key: randomUUID() });

/** Which of `sfus` served the channel a body names. */
function servedBy(sfus: readonly TestSfu[], body: JsonBody): TestSfu {
  const found = sfus.find((candidate) => candidate.url === body.url);
  if (found === undefined) throw new Error(`no SFU at ${JSON.stringify(body.url)} (answer ${JSON.stringify(body)})`);
  return found;
}

/** Asks for a channel and returns the SFU that gave it (the answer must be a 200). */
async function ask(
  gateway: TestGateway,
  sfus: readonly TestSfu[],
  claims: Record<string, unknown>,
  query = "",
  headers: Record<string, string> = {},
): Promise<{ sfu: TestSfu; body: JsonBody; line: JsonBody }> {
  const response = await askChannel(gateway.url, gateway.key, { claims, query, headers });
  const body = await bodyOf(response);
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}: ${JSON.stringify(body)}`);
  return { sfu: servedBy(sfus, body), body, line: logLineOf(gateway, response) };
}

/** The channel log line of a response. */
function logLineOf(gateway: TestGateway, response: Response): JsonBody {
  const id = response.headers.get("x-request-id");
  const line = gateway.logs().find((entry) => entry.event === "channel" && entry.request_id === id);
  if (line === undefined) throw new Error(`no channel log line for request ${id}`);
  return line;
}

const channelLines = (gateway: TestGateway) => gateway.logs().filter((line) => line.event === "channel");

async function status(gateway: TestGateway): Promise<JsonBody> {
  return bodyOf(fetch(`${gateway.url}/status/json`));
}

const statusOf = async (gateway: TestGateway, one: TestSfu) => ((await status(gateway)).sfus as JsonBody[]).find((view) => view.address === one.url)!;
const totalPins = async (gateway: TestGateway) => ((await status(gateway)).sfus as JsonBody[]).reduce((sum, view) => sum + (view.pins as number), 0);

async function admin(gateway: TestGateway, path: string, body?: unknown, key: string | null = ADMIN_KEY): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return fetch(`${gateway.url}${path}`, body === undefined ? { headers } : { method: "POST", headers, body: JSON.stringify(body) });
}

async function setDrain(gateway: TestGateway, one: TestSfu, draining: boolean): Promise<void> {
  const response = await admin(gateway, draining ? "/admin/sfus/drain" : "/admin/sfus/undrain", { address: one.url });
  expect(response.status).toBe(200);
  expect((await bodyOf(response)).draining).toBe(draining);
}

async function explainOf(gateway: TestGateway, input: Record<string, string>): Promise<JsonBody> {
  const response = await admin(gateway, `/admin/explain?${new URLSearchParams(input)}`);
  const body = await bodyOf(response);
  if (response.status !== 200) throw new Error(`explain answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

const addresses = (explained: JsonBody) => (explained.candidates as JsonBody[]).map((candidate) => candidate.address as string);

/** Counts by SFU url, in the order of `sfus`. */
const countsOf = (sfus: readonly TestSfu[], served: readonly TestSfu[]) => sfus.map((one) => served.filter((s) => s === one).length);

// ---------------------------------------------------------------------------------------------

describe("coalescing", () => {
  test("50 concurrent requests for one iss: one upstream call, one SFU, one channel; 49 log lines say coalesced", async () => {
    const sfus = [sfu(undefined, { delayMs: 200 }), sfu(undefined, { delayMs: 200 })];
    const gateway = gatewayOver(sfus.map((one) => one.entry), {}, { noMonitor: true });
    const claims = odooClaims("B");
    const responses = await Promise.all(Array.from({ length: 50 }, () => askChannel(gateway.url, gateway.key, { claims })));
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    const bodies = await Promise.all(responses.map((response) => bodyOf(response)));
    expect(new Set(bodies.map((body) => JSON.stringify(body))).size).toBe(1);
    const chosen = servedBy(sfus, bodies[0]!);

    const calls = sfus.flatMap((one) => one.channelCalls());
    expect(calls).toHaveLength(1);
    expect(chosen.channelCalls()[0]!.claims).toMatchObject(claims);

    const lines = channelLines(gateway).filter((line) => line.iss === claims.iss);
    expect(lines).toHaveLength(50);
    expect(lines.filter((line) => line.coalesced === true)).toHaveLength(49);
    expect(new Set(lines.map((line) => line.sfu))).toEqual(new Set([chosen.url]));
    expect(lines.every((line) => line.status === 200)).toBe(true);

    // The burst left one pin, on that SFU; the next request for the call goes there again.
    expect((await statusOf(gateway, chosen)).pins).toBe(1);
    expect(await totalPins(gateway)).toBe(1);
    const again = await ask(gateway, sfus, claims);
    expect(again.sfu).toBe(chosen);
    expect(again.body).toEqual(bodies[0]!);
  });

  test("concurrent joins of one call with different hints or query still make one channel on one SFU", async () => {
    // Two participants of one call, joining at once from two countries (a GeoIP country per user,
    // as doc/load_balancing.md proposes): different hints must not split the call over two SFUs.
    const eu = sfu("eu-west", { delayMs: 200 });
    const us = sfu("us-east", { delayMs: 200 });
    const gateway = gatewayOver([eu.entry, us.entry], {}, { noMonitor: true });
    const claims = odooClaims("C");
    const queries = ["country=FR", "country=US", "region=us-east", "", "recordingAddress=http%3A%2F%2Fodoo%3A8069", "country=FR"];
    const responses = await Promise.all(queries.map((query) => askChannel(gateway.url, gateway.key, { claims, query, variant: "C" })));
    const bodies = await Promise.all(responses.map((response) => bodyOf(response)));
    expect(responses.map((response) => response.status)).toEqual(queries.map(() => 200));
    expect(new Set(bodies.map((body) => JSON.stringify(body))).size).toBe(1);
    expect(eu.channelCalls().length + us.channelCalls().length).toBe(1);
    const lines = channelLines(gateway).filter((line) => line.iss === claims.iss);
    expect(lines.filter((line) => line.coalesced === true)).toHaveLength(queries.length - 1);
  });

  test("requests for different issuers are not coalesced", async () => {
    const sfus = [sfu(undefined, { delayMs: 100 }), sfu(undefined, { delayMs: 100 })];
    const gateway = gatewayOver(sfus.map((one) => one.entry), {}, { noMonitor: true });
    const claims = Array.from({ length: 6 }, () => odooClaims("B"));
    const bodies = await Promise.all(claims.map((one) => bodyOf(askChannel(gateway.url, gateway.key, { claims: one }))));
    expect(new Set(bodies.map((body) => body.uuid)).size).toBe(6);
    expect(sfus[0]!.channelCalls().length + sfus[1]!.channelCalls().length).toBe(6);
    expect(channelLines(gateway).some((line) => line.coalesced === true)).toBe(false);
  });
});

describe("issuer affinity", () => {
  test("an issuer keeps its SFU after 20 other issuers moved the round-robin turn", async () => {
    const sfus = [sfu(), sfu()];
    const gateway = gatewayOver(sfus.map((one) => one.entry), {}, { noMonitor: true });
    const claims = odooClaims("B");
    const first = await ask(gateway, sfus, claims);
    expect(first.sfu).toBe(sfus[0]!);
    const others: TestSfu[] = [];
    for (let i = 0; i < 20; i++) others.push((await ask(gateway, sfus, odooClaims("B"))).sfu);
    // The others alternate (turns 1..20), so without the pin the issuer would now go to sfus[1].
    expect(countsOf(sfus, others)).toEqual([10, 10]);
    const again = await ask(gateway, sfus, claims);
    expect(again.sfu).toBe(first.sfu);
    expect(again.body).toEqual(first.body);
    expect(sfus[1]!.channelCalls().some((call) => call.claims?.iss === claims.iss)).toBe(false);
    // A pinned request did not move the turn: the next new issuer still gets sfus[1].
    expect((await ask(gateway, sfus, odooClaims("B"))).sfu).toBe(sfus[1]!);
  });

  test("after the affinity ttl the pin is gone and a new choice is made", async () => {
    const sfus = [sfu(), sfu()];
    const gateway = gatewayOver(sfus.map((one) => one.entry), { SFU_GATEWAY_AFFINITY_TTL_MS: "300" }, { noMonitor: true });
    const claims = odooClaims("B");
    const first = await ask(gateway, sfus, claims); // turn 0 → sfus[0]; the turn is now 1
    expect(first.sfu).toBe(sfus[0]!);
    expect(await totalPins(gateway)).toBe(1);
    await waitFor(async () => (await totalPins(gateway)) === 0, "the pin to expire", 5000);
    // Unpinned, the issuer takes the turn (1): the other SFU, hence a new channel.
    const later = await ask(gateway, sfus, claims);
    expect(later.sfu).toBe(sfus[1]!);
    expect(later.body.uuid).not.toBe(first.body.uuid);
    expect((await statusOf(gateway, sfus[1]!)).pins).toBe(1);
  });

  test("when the pinned SFU is drained the issuer is re-pinned elsewhere, and stays there after undrain", async () => {
    const sfus = [sfu(), sfu(), sfu()];
    const gateway = gatewayOver(sfus.map((one) => one.entry), {}, { noMonitor: true });
    const claims = odooClaims("C");
    const first = await ask(gateway, sfus, claims);
    const home = first.sfu;
    await setDrain(gateway, home, true);
    const moved = await ask(gateway, sfus, claims);
    expect(moved.sfu).not.toBe(home);
    expect(moved.body.uuid).not.toBe(first.body.uuid);
    expect((await statusOf(gateway, moved.sfu)).pins).toBe(1);
    expect((await statusOf(gateway, home)).pins).toBe(0);
    await setDrain(gateway, home, false);
    // Move the turns around; the issuer stays on its new SFU.
    for (let i = 0; i < 4; i++) await ask(gateway, sfus, odooClaims("B"));
    for (let i = 0; i < 3; i++) {
      const after = await ask(gateway, sfus, claims);
      expect(after.sfu).toBe(moved.sfu);
      expect(after.body).toEqual(moved.body);
    }
    expect(home.channelCalls().filter((call) => call.claims?.iss === claims.iss)).toHaveLength(1);
  });
});

describe("hash across two gateway processes", () => {
  const spawned: Bun.Subprocess[] = [];
  let folder: string | undefined;
  afterAll(async () => {
    for (const proc of spawned) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    await Promise.all(spawned.map((proc) => proc.exited));
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  function freePort(): number {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const port = server.port as number;
    server.stop(true);
    return port;
  }

  async function serveBinary(env: Record<string, string>): Promise<string> {
    if (!existsSync(BUILT)) {
      throw new Error(`${BUILT} is missing: build it first with \`bun run build\` (npm test builds it before running the tests)`);
    }
    folder ??= mkdtempSync(join(tmpdir(), "sfu-gateway-hash-"));
    const port = freePort();
    const proc = Bun.spawn([BUILT], {
      cwd: folder,
      env: { ...env, SFU_GATEWAY_BIND: "127.0.0.1", SFU_GATEWAY_PORT: String(port) },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    spawned.push(proc);
    // Read the output as it comes, so that a full pipe never blocks the process.
    const stderr = new Response(proc.stderr).text();
    void new Response(proc.stdout).text();
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`sfu-gateway exited with ${proc.exitCode} before serving: ${await stderr}`);
      try {
        if ((await fetch(`${url}/health`)).status === 200) return url;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`sfu-gateway did not answer ${url}/health within 15 s`);
      await Bun.sleep(25);
    }
  }

  test("30 issuers land on the same SFU through either gateway, with no pin shared, spread over ≥ 3 of 4 SFUs", async () => {
    const sfus = [sfu(), sfu(), sfu(), sfu()];
    const key = newKey();
    const env = {
      SFU_GATEWAY_KEY: key,
      SFU_GATEWAY_NODES: JSON.stringify({ sfu: sfus.map((one) => one.entry) }),
      SFU_GATEWAY_STRATEGY: "hash",
    };
    const [a, b] = await Promise.all([serveBinary(env), serveBinary(env)]);
    for (const url of [a!, b!]) expect((await bodyOf(fetch(`${url}/status/json`))).config.strategy).toBe("hash");
    // Three issuers only A sees: a turn-based choice (round-robin) would now differ between A and B.
    for (let i = 0; i < 3; i++) expect((await askChannel(a!, key, { claims: callOn("warm-up.example.com") })).status).toBe(200);
    const served: TestSfu[] = [];
    for (let i = 0; i < 30; i++) {
      const claims = callOn(`db${i}.example.com`);
      // Half the issuers go to A first, half to B first: the second gateway has never seen them.
      const [first, second] = i % 2 === 0 ? [a!, b!] : [b!, a!];
      const one = await bodyOf(askChannel(first, key, { claims }));
      const other = await bodyOf(askChannel(second, key, { claims }));
      const sfuOne = servedBy(sfus, one);
      expect(servedBy(sfus, other)).toBe(sfuOne);
      // Same SFU and same caller address: the SFU's idempotency gives the very same channel.
      expect(other).toEqual(one);
      expect(sfus.filter((s) => s !== sfuOne).some((s) => s.channelCalls().some((call) => call.claims?.iss === claims.iss))).toBe(false);
      served.push(sfuOne);
    }
    const counts = countsOf(sfus, served);
    expect(counts.filter((count) => count > 0).length).toBeGreaterThanOrEqual(3);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(30);
  });
});

describe("least-loaded", () => {
  test("a burst of 100 between two polls spreads by capacity (300 and 100): about 75/25", async () => {
    const big = sfu(undefined, { stats: () => statsBody(0, 0) });
    const small = sfu(undefined, { stats: () => statsBody(0) });
    const sfus = [big, small];
    const gateway = gatewayOver([withCapacity(big, 300), withCapacity(small, 100)], {
      SFU_GATEWAY_STRATEGY: "least-loaded",
      SFU_GATEWAY_STATS_INTERVAL_MS: "60000",
    });
    await waitFor(async () => ((await status(gateway)).sfus as JsonBody[]).every((view) => view.load !== null), "the first stats", 10_000);
    const served: TestSfu[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const results = await Promise.all(Array.from({ length: 10 }, () => ask(gateway, sfus, odooClaims("B"))));
      served.push(...results.map((result) => result.sfu));
    }
    const counts = countsOf(sfus, served);
    console.log(`least-loaded burst of 100 (capacities 300/100, equal load 0, batches of 10): ${counts[0]}/${counts[1]}`);
    expect(counts[0]).toBeGreaterThanOrEqual(70);
    expect(counts[0]).toBeLessThanOrEqual(80);
    // It all happened between two polls: one stats read per SFU, and the grants are still counted.
    expect(sfus.map((one) => one.received.filter((request) => request.path === "/v1/stats").length)).toEqual([1, 1]);
    expect((await statusOf(gateway, big)).provisional_channels).toBe(counts[0]);
    expect((await statusOf(gateway, small)).provisional_channels).toBe(counts[1]);
  });

  test("a fully concurrent burst does not herd onto the SFU that looked least loaded when it started", async () => {
    // big: 30 sessions of 300 (10 %); small: 0 of 100. Requests in flight count as load at once,
    // so small fills up to about big's share instead of taking all 20.
    const big = sfu(undefined, { delayMs: 150, stats: () => statsBody(30) });
    const small = sfu(undefined, { delayMs: 150, stats: () => statsBody() });
    const sfus = [big, small];
    const gateway = gatewayOver([withCapacity(big, 300), withCapacity(small, 100)], {
      SFU_GATEWAY_STRATEGY: "least-loaded",
      SFU_GATEWAY_STATS_INTERVAL_MS: "60000",
    });
    await waitFor(async () => ((await status(gateway)).sfus as JsonBody[]).every((view) => view.load !== null), "the first stats", 10_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => ask(gateway, sfus, odooClaims("B"))));
    const counts = countsOf(sfus, results.map((result) => result.sfu));
    console.log(`least-loaded concurrent burst of 20 (30/300 against 0/100): ${counts[0]}/${counts[1]}`);
    expect(counts[1]).toBeGreaterThanOrEqual(6);
    expect(counts[1]).toBeLessThanOrEqual(12);
    expect((await statusOf(gateway, big)).provisional_channels + (await statusOf(gateway, small)).provisional_channels).toBe(20);
  });

  test("stale stats: an SFU that reported 0 sessions and went stale ranks after one with fresh stats and room", async () => {
    let failing = false;
    const quiet = sfu(undefined, { stats: () => (failing ? new Response("stats broke", { status: 500 }) : statsBody(0)) });
    const busy = sfu(undefined, { stats: () => statsBody(30, 20) });
    const sfus = [quiet, busy];
    const gateway = gatewayOver([withCapacity(quiet, 100), withCapacity(busy, 100)], {
      SFU_GATEWAY_STRATEGY: "least-loaded",
      SFU_GATEWAY_STATS_INTERVAL_MS: "200",
      SFU_GATEWAY_STATS_STALE_INTERVALS: "2",
    });
    const fresh = async (one: TestSfu) => (await statusOf(gateway, one)).load?.fresh === true;
    await waitFor(async () => (await fresh(quiet)) && (await fresh(busy)), "fresh stats from both", 10_000);

    // Fresh, the idle SFU comes first.
    const before = await explainOf(gateway, { iss: callOn("db.example.com").iss });
    expect(addresses(before)).toEqual([quiet.url, busy.url]);
    expect((before.candidates as JsonBody[])[0]!.why).toContain("load 0 sessions of 100 (0 %), weight 1");
    expect((before.candidates as JsonBody[])[1]!.why).toContain("load 50 sessions of 100 (50 %), weight 1");

    failing = true;
    await waitFor(async () => !(await fresh(quiet)) && (await fresh(busy)), "the idle SFU's stats to go stale", 10_000);
    const view = await statusOf(gateway, quiet);
    expect(view.load.sessions).toBe(0);
    expect(view.load_error).toContain("HTTP 500");

    const after = await explainOf(gateway, { iss: callOn("db.example.com").iss });
    expect(after.strategy).toBe("least-loaded");
    expect(addresses(after)).toEqual([busy.url, quiet.url]);
    const staleWhy = ((after.candidates as JsonBody[])[1]!.why as string[]).join(" | ");
    expect(staleWhy).toMatch(/load unknown \(stats \d+(\.\d)? s old\)/);
    for (let i = 0; i < 4; i++) expect((await ask(gateway, sfus, odooClaims("B"))).sfu).toBe(busy);
  });

  test("an SFU above its threshold is used only when every candidate is", async () => {
    let roomySessions = 50;
    // full: 80 of 100 = its 80 % threshold (score 0.8); roomy: 50 of 100 at weight 0.5 (score 1.0, 50 %).
    const full = sfu(undefined, { stats: () => statsBody(80) });
    const roomy = sfu(undefined, { stats: () => statsBody(roomySessions) });
    const sfus = [full, roomy];
    const gateway = gatewayOver([withCapacity(full, 100), withCapacity(roomy, 100, 0.5)], {
      SFU_GATEWAY_STRATEGY: "least-loaded",
      SFU_GATEWAY_STATS_INTERVAL_MS: "200",
      SFU_GATEWAY_STATS_STALE_INTERVALS: "10",
    });
    await waitFor(async () => ((await status(gateway)).sfus as JsonBody[]).every((v) => v.load?.fresh === true), "fresh stats", 10_000);
    const explained = await explainOf(gateway, { iss: callOn("db.example.com").iss });
    expect(addresses(explained)).toEqual([roomy.url, full.url]);
    expect((explained.candidates as JsonBody[])[1]!.why).toContain("above its load threshold: used only after every SFU with room");
    for (let i = 0; i < 3; i++) expect((await ask(gateway, sfus, odooClaims("B"))).sfu).toBe(roomy);

    // Now both are above their threshold: the lower score wins again.
    roomySessions = 90;
    await waitFor(async () => (await statusOf(gateway, roomy)).load?.sessions === 90, "the new stats", 10_000);
    for (let i = 0; i < 3; i++) expect((await ask(gateway, sfus, odooClaims("B"))).sfu).toBe(full);
  });
});

describe("caller rules and their precedence", () => {
  const regions = ["eu-west", "us-east", "ap-south", "sa-east", "ap-northeast"] as const;
  const sfus = regions.map((region) => sfu(region));
  const byRegion = (region: string) => sfus.find((one) => one.region === region)!;
  const routing = (byAddress: string) => ({
    default_region: "ap-south",
    by_address: { [byAddress]: "us-east" },
    by_issuer: { "*.eu.example.com": "eu-west" },
  });
  const viaNodes = (byAddress: string) =>
    gatewayOver([], { SFU_GATEWAY_NODES: JSON.stringify({ sfu: sfus.map((one) => one.entry), routing: routing(byAddress) }) }, { noMonitor: true });

  let folder: string | undefined;
  afterAll(() => {
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });
  const viaToml = (byAddress: string) => {
    folder ??= mkdtempSync(join(tmpdir(), "sfu-gateway-rules-"));
    const path = join(folder, `secrets-${randomUUID()}.toml`);
    const rules = routing(byAddress);
    const text = [
      ...sfus.flatMap((one) => ["[[sfu]]", `address = "${one.url}"`, `key = "${one.key}"`, `region = "${one.region}"`, ""]),
      "[routing]",
      `default_region = "${rules.default_region}"`,
      "",
      "[routing.by_address]",
      `"${byAddress}" = "us-east"`,
      "",
      "[routing.by_issuer]",
      `"*.eu.example.com" = "eu-west"`,
      "",
    ].join("\n");
    writeFileSync(path, text);
    chmodSync(path, 0o600);
    return gatewayOver([], {}, { secretsPath: path, noMonitor: true });
  };

  // The test's caller is 127.0.0.1: "127.0.0.0/8" matches it, "10.0.0.0/8" does not.
  const cases: [string, string, string, string, string | undefined][] = [
    // [address rule, issuer host, query, expected region, expected region_from]
    ["127.0.0.0/8", "db.eu.example.com", "region=ap-northeast&country=BR", "ap-northeast", undefined],
    ["127.0.0.0/8", "db.eu.example.com", "region=atlantis&country=BR", "sa-east", "country"],
    ["127.0.0.0/8", "db.eu.example.com", "country=br", "sa-east", "country"],
    ["127.0.0.0/8", "db.eu.example.com", "country=ZZ", "eu-west", "issuer"],
    ["127.0.0.0/8", "db.eu.example.com", "", "eu-west", "issuer"],
    ["127.0.0.0/8", "db.example.com", "", "us-east", "address"],
    ["127.0.0.0/8", "eu.example.com", "", "us-east", "address"],
    ["10.0.0.0/8", "db.example.com", "", "ap-south", "default"],
    ["10.0.0.0/8", "shop.eu.example.com", "", "eu-west", "issuer"],
    ["10.0.0.0/8", "db.example.com", "country=JP", "ap-northeast", "country"],
  ];

  for (const [source, start] of [
    ["SFU_GATEWAY_NODES", viaNodes],
    ["a secrets TOML file", viaToml],
  ] as const) {
    describe(`from ${source}`, () => {
      const gateways = new Map<string, TestGateway>();
      const gatewayFor = (byAddress: string) => {
        let found = gateways.get(byAddress);
        if (found === undefined) gateways.set(byAddress, (found = start(byAddress)));
        return found;
      };
      test.each(cases)("address rule %s, issuer %s, query %p → %s (from %p)", async (byAddress, host, query, region, from) => {
        const gateway = gatewayFor(byAddress);
        expect(gateway.config.routing.byAddress.map((rule) => rule.cidr.text)).toEqual([byAddress]);
        const { sfu: chosen, line } = await ask(gateway, sfus, callOn(host), query);
        expect(chosen).toBe(byRegion(region));
        expect(line.region).toBe(region);
        expect(line.region_from).toBe(from);
      });
    });
  }

  test("behind a trusted proxy, the address rules match the address the proxy reports, not the proxy's", async () => {
    const nodes = JSON.stringify({ sfu: sfus.map((one) => one.entry), routing: routing("10.0.0.0/8") });
    const trusting = gatewayOver([], { SFU_GATEWAY_NODES: nodes, SFU_GATEWAY_TRUST_PROXY: "true" }, { noMonitor: true });
    const direct = gatewayOver([], { SFU_GATEWAY_NODES: nodes }, { noMonitor: true });
    // The proxy appended the Odoo server's address (10.1.2.3) to what the client sent.
    const headers = { "x-forwarded-for": "192.0.2.66, 10.1.2.3" };
    const behind = await ask(trusting, sfus, callOn("db.example.com"), "", headers);
    expect(behind.sfu).toBe(byRegion("us-east"));
    expect(behind.line.region_from).toBe("address");
    // A client-sent header means nothing to a gateway that trusts no proxy: the socket's 127.0.0.1 has no rule.
    const spoofed = await ask(direct, sfus, callOn("db.example.com"), "", headers);
    expect(spoofed.sfu).toBe(byRegion("ap-south"));
    expect(spoofed.line.region_from).toBe("default");
  });

  test("no rule and no hint: no region, any SFU in turn", async () => {
    const gateway = gatewayOver(sfus.map((one) => one.entry), {}, { noMonitor: true });
    const served: TestSfu[] = [];
    for (let i = 0; i < sfus.length; i++) {
      const { sfu: chosen, line } = await ask(gateway, sfus, callOn("db.eu.example.com"));
      expect(line.region).toBeNull();
      expect("region_from" in line).toBe(false);
      served.push(chosen);
    }
    expect(new Set(served).size).toBe(sfus.length);
  });
});

describe("explain", () => {
  test("needs the admin key; shows the ordered candidates, and the real request goes to the first without explain moving the turn", async () => {
    const euA = sfu("eu-west");
    const euB = sfu("eu-west");
    const us = sfu("us-east");
    const sfus = [euA, euB, us];
    const gateway = gatewayOver(sfus.map((one) => one.entry), {}, { noMonitor: true });

    const query = new URLSearchParams({ region: "eu-west", iss: callOn("db.example.com").iss, address: "127.0.0.1" });
    expect((await admin(gateway, `/admin/explain?${query}`, undefined, null)).status).toBe(401);
    expect((await admin(gateway, `/admin/explain?${query}`, undefined, "not-the-admin-key-at-all")).status).toBe(401);

    const claims = callOn("db.example.com");
    const input = { region: "eu-west", iss: claims.iss, address: "127.0.0.1" };
    const first = await explainOf(gateway, input);
    const second = await explainOf(gateway, input);
    expect(first.hint).toEqual({ region: "eu-west", source: "region" });
    expect(first.strategy).toBe("round-robin");
    expect(first.pinned).toBeNull();
    expect(addresses(first)).toEqual([euA.url, euB.url, us.url]);
    expect(addresses(second)).toEqual(addresses(first));
    const [a, , c] = first.candidates as JsonBody[];
    expect(a!.why).toContain("in the region asked (eu-west)");
    expect(a!.position).toBe(1);
    expect(a!.tried).toBe(true);
    expect(c!.why[0]).toMatch(/^nearest region with an SFU: us-east \(\d+ km away\)$/);
    expect(first.not_usable).toEqual([]);

    // The real request with the same inputs goes to candidates[0] (two explains did not move the turn).
    const real = await ask(gateway, sfus, claims, "region=eu-west");
    expect(real.sfu.url).toBe(addresses(first)[0]!);

    // Now the issuer is known: explain says it is pinned there, while a new issuer gets the next turn.
    const known = await explainOf(gateway, input);
    expect(known.pinned).toBe(euA.url);
    expect(addresses(known)[0]).toBe(euA.url);
    expect((known.candidates as JsonBody[])[0]!.why).toEqual(["pinned: this issuer's channel is on this SFU"]);
    const fresh = await explainOf(gateway, { region: "eu-west", iss: callOn("db.example.com").iss });
    expect(addresses(fresh)[0]).toBe(euB.url);

    // Drained: listed under not_usable with the reason, and a pinned issuer is told where it goes instead.
    await setDrain(gateway, euA, true);
    const drained = await explainOf(gateway, input);
    expect(addresses(drained)).not.toContain(euA.url);
    expect(drained.not_usable).toEqual([{ address: euA.url, region: "eu-west", position: null, tried: false, why: ["draining: gets no new channels"] }]);
    expect((drained.candidates as JsonBody[])[0]!.why).toContain(`replaces the pinned SFU ${euA.url}, which is not usable`);
    const moved = await ask(gateway, sfus, claims, "region=eu-west");
    expect(moved.sfu.url).toBe(addresses(drained)[0]!);
  });

  test("country, issuer and address inputs resolve as a request would; a down SFU is listed with its reason", async () => {
    const eu = sfu("eu-west");
    const us = sfu("us-east");
    const dead = { address: deadAddress(), key: newKey(), region: "eu-west" };
    const gateway = gatewayOver([], {
      SFU_GATEWAY_NODES: JSON.stringify({
        sfu: [eu.entry, us.entry, dead],
        routing: { by_address: { "10.0.0.0/8": "us-east" }, by_issuer: { "*.eu.example.com": "eu-west" } },
      }),
      SFU_GATEWAY_HEALTH_INTERVAL_MS: "200",
      SFU_GATEWAY_HEALTH_TIMEOUT_MS: "100",
    });
    await waitFor(async () => ((await status(gateway)).sfus as JsonBody[]).find((v) => v.address === dead.address)?.state === "down", "the dead SFU to be down", 10_000);

    const byCountry = await explainOf(gateway, { country: "FR", address: "10.1.2.3", iss: callOn("db.example.com").iss });
    expect(byCountry.hint).toEqual({ region: "eu-west", source: "country" });
    expect(addresses(byCountry)).toEqual([eu.url, us.url]);
    expect(byCountry.not_usable).toHaveLength(1);
    expect(byCountry.not_usable[0].address).toBe(dead.address);
    expect(byCountry.not_usable[0].why[0]).toMatch(/^down since \S+: /);

    const byAddress = await explainOf(gateway, { address: "10.1.2.3", iss: callOn("db.example.com").iss });
    expect(byAddress.hint).toEqual({ region: "us-east", source: "address" });
    expect(byAddress.plan).toContain("the caller address rule (routing.by_address)");
    expect(addresses(byAddress)[0]).toBe(us.url);

    const byIssuer = await explainOf(gateway, { address: "10.1.2.3", iss: callOn("db.eu.example.com").iss });
    expect(byIssuer.hint).toEqual({ region: "eu-west", source: "issuer" });

    const none = await explainOf(gateway, { address: "192.0.2.1" });
    expect(none.hint).toBeNull();
    expect(none.plan).toContain("no region");
  });

  test("the OpenAPI document lists /admin/explain with its query parameters", async () => {
    const gateway = gatewayOver([sfu().entry], {}, { noMonitor: true });
    const document = await bodyOf(fetch(`${gateway.url}/swagger/json`));
    const operation = document.paths["/admin/explain"]?.get;
    expect(operation).toBeDefined();
    const parameters = (operation.parameters as JsonBody[]).filter((parameter) => parameter.in === "query").map((parameter) => parameter.name);
    expect(parameters.sort()).toEqual(["address", "country", "iss", "region"]);
    expect(operation.security).toEqual([{ adminKey: [] }]);
  });
});
