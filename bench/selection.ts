/**
 * Micro-benchmark of the selection step of one channel request, in process, no I/O:
 * Selector.candidates for each strategy over a realistic fleet (6 SFUs in 3 regions), the caller
 * rules (resolveHint), Affinity.get/pin and the coalescer, each next to the cost of an empty loop
 * of the same shape. Run: `bun bench/selection.ts` (add `taskset -c 0` for steadier numbers).
 * Speed goals are measured here, never asserted in tests.
 */
import { readRouting } from "../src/config/routing.ts";
import { defaultSettings } from "../src/config/settings.ts";
import type { SfuNode } from "../src/config/types.ts";
import { Fleet } from "../src/fleet/fleet.ts";
import { Affinity, DEFAULT_MAX_PINS } from "../src/routing/affinity.ts";
import { resolveHint } from "../src/routing/hint.ts";
import { buildPlans, type Plan } from "../src/routing/plans.ts";
import { Selector } from "../src/routing/selector.ts";
import { strategyFor } from "../src/routing/strategies/index.ts";
import { Coalescer } from "../src/upstream/coalesce.ts";

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 1_000_000);
const WARMUP = Math.max(10_000, ITERATIONS / 10);
const ROUNDS = 5;
const NOW = Date.now();

// The fleet: 6 SFUs over 3 regions, with capacities and weights, fresh stats, all up.
const REGIONS = ["eu-west", "eu-west", "us-east", "us-east", "ap-south", "ap-south"] as const;
const sfus: SfuNode[] = REGIONS.map((region, index) => ({
  index,
  address: `http://10.0.${index}.5:8070`,
  region,
  channelUrl: `http://10.0.${index}.5:8070/v1/channel`,
  key: new Uint8Array(32).fill(index + 1),
  capacity: index % 2 === 0 ? 300 : 100,
  weight: index === 5 ? 2 : 1,
}));
const rules = { rise: 2, fall: 3, ejectAfter: 3, ejectBaseMs: 5000, ejectMaxMs: 120_000 };
const settings = defaultSettings();

function selectorWith(strategy: "round-robin" | "hash" | "least-loaded") {
  const fleet = new Fleet(sfus, rules, () => {}, null, NOW);
  fleet.states.forEach((state, index) => {
    state.load = { sessions: 20 * index, channels: 4 * index, at: NOW };
    for (let i = 0; i < index % 3; i++) state.reserve(NOW);
  });
  return { fleet, selector: new Selector(buildPlans(sfus), strategyFor(defaultSettings({ ...settings, strategy })), fleet) };
}

// Requests: 4096 issuers over many databases; hints as a mixed fleet sees them.
const ISSUERS = Array.from({ length: 4096 }, (_, i) => `https://db${i % 397}.example.com:channel:${i}`);
const MASK = ISSUERS.length - 1;
const HINTS: (string | null)[] = ["eu-west", null, "us-east", "eu-north", "ap-south", null, "sa-east", "eu-west"];

let sink = 0;

interface Row {
  readonly name: string;
  readonly ns: number;
}

/** Median ns per call over ROUNDS rounds of ITERATIONS calls, after a warm-up. */
function measure(name: string, call: (i: number) => number): Row {
  for (let i = 0; i < WARMUP; i++) sink = (sink + call(i)) | 0;
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = Bun.nanoseconds();
    for (let i = 0; i < ITERATIONS; i++) sink = (sink + call(i)) | 0;
    rounds.push((Bun.nanoseconds() - started) / ITERATIONS);
  }
  rounds.sort((a, b) => a - b);
  return { name, ns: rounds[Math.floor(ROUNDS / 2)]! };
}

/** Median ns per run of an async batch: `batch` calls then one await of them all. */
async function measureAsync(name: string, batch: number, run: (i: number) => Promise<unknown>): Promise<Row> {
  const once = async (offset: number) => {
    const pending: Promise<unknown>[] = new Array(batch);
    for (let i = 0; i < batch; i++) pending[i] = run(offset + i);
    await Promise.all(pending);
  };
  for (let i = 0; i < WARMUP / batch; i++) await once(i * batch);
  const rounds: number[] = [];
  const batches = Math.max(1, Math.floor(ITERATIONS / batch / 4));
  for (let round = 0; round < ROUNDS; round++) {
    const started = Bun.nanoseconds();
    for (let b = 0; b < batches; b++) await once(b * batch);
    rounds.push((Bun.nanoseconds() - started) / (batches * batch));
  }
  rounds.sort((a, b) => a - b);
  return { name, ns: rounds[Math.floor(ROUNDS / 2)]! };
}

const rows: Row[] = [];
rows.push(measure("empty loop (baseline: the loop, one closure call, the sink)", (i) => i & 1));

for (const strategy of ["round-robin", "hash", "least-loaded"] as const) {
  const { selector } = selectorWith(strategy);
  const plans: Plan[] = HINTS.map((hint) => selector.plan(hint));
  rows.push(
    measure(`Selector.candidates, ${strategy} (8 hints, limit 3)`, (i) => selector.candidates(plans[i & 7]!, ISSUERS[i & MASK]!, null, 3, NOW).length),
  );
}
{
  const { selector, fleet } = selectorWith("round-robin");
  const plan = selector.plan("eu-west");
  const pinned = fleet.states[3]!;
  rows.push(measure("Selector.candidates, round-robin, pinned issuer", (i) => selector.candidates(plan, ISSUERS[i & MASK]!, pinned, 3, NOW).length));
}
{
  const { selector } = selectorWith("round-robin");
  const routing = readRouting(
    {
      default_region: "eu-west",
      by_address: { "10.1.0.0/16": "eu-west", "10.2.0.0/16": "us-east", "192.168.0.0/24": "ap-south" },
      by_issuer: { "*.eu.example.com": "eu-west", "*.us.example.com": "us-east", "shop.example.com": "ap-south" },
    },
    "bench",
    [],
  );
  const query = [{ region: "us-east" }, { country: "FR" }, {}, {}] as const;
  const peers = ["10.1.2.3", "10.2.9.9", "172.16.0.1", "::ffff:192.168.0.7"];
  rows.push(measure("resolveHint with caller rules (3 issuer + 3 address rules)", (i) => resolveHint(selector.plans, routing, query[i & 3]!, ISSUERS[i & MASK]!, peers[(i >> 2) & 3]!)?.region.length ?? 0));
  rows.push(measure("resolveHint, no rules, no hint", (i) => resolveHint(selector.plans, { defaultRegion: null, byAddress: [], byIssuer: [] }, {}, ISSUERS[i & MASK]!, "10.1.2.3")?.region.length ?? 0));
}
{
  const affinity = new Affinity(3_600_000);
  for (let i = 0; i < 100_000; i++) affinity.pin(`https://warm${i}.example.com:channel:${i}`, sfus[i % 6]!.address, NOW);
  for (const iss of ISSUERS) affinity.pin(iss, sfus[iss.length % 6]!.address, NOW);
  rows.push(measure("Affinity.get, pinned issuer (104k pins)", (i) => affinity.get(ISSUERS[i & MASK]!, NOW)?.length ?? 0));
  rows.push(measure("Affinity.get, unknown issuer", (i) => affinity.get(`https://none.example.com:channel:${i & MASK}`, NOW)?.length ?? 0));
  rows.push(
    measure("Affinity.pin (re-pin, moves to the LRU tail)", (i) => {
      affinity.pin(ISSUERS[i & MASK]!, sfus[i % 6]!.address, NOW);
      return 1;
    }),
  );
}
{
  // A busy gateway: the affinity is full (DEFAULT_MAX_PINS), every new issuer evicts the oldest.
  const fresh = Array.from({ length: 1 << 18 }, (_, i) => `https://tenant${i % 2039}.example.com:channel:${i}`);
  const full = new Affinity(3_600_000);
  for (let i = 0; i < DEFAULT_MAX_PINS; i++) full.pin(`https://old${i}.example.com:channel:${i}`, sfus[i % 6]!.address, NOW);
  // A running count, not the round's index: each pin takes the issuer seen longest ago (evicted since).
  let next = 0;
  rows.push(
    measure(`Affinity.pin, new issuer into a full affinity (${DEFAULT_MAX_PINS} pins)`, (i) => {
      full.pin(fresh[next++ & 0x3ffff]!, sfus[i % 6]!.address, NOW);
      return 1;
    }),
  );
}
// The whole selection step of one request, as forward() does it: pin lookup, candidates, pin.
// Known issuers: 4096 issuers over and over, pinned after their first round. New issuers: 65536
// issuers through an affinity that keeps 4096 pins, so nearly every lookup misses.
const MANY = Array.from({ length: 65_536 }, (_, i) => `https://shop${i % 1021}.example.com:channel:${i}`);
for (const [label, issuers, maxPins] of [
  ["known issuer", ISSUERS, undefined],
  ["new issuer", MANY, 4096],
] as const) {
  const { selector, fleet } = selectorWith("least-loaded");
  const affinity = new Affinity(3_600_000, maxPins);
  const plans: Plan[] = HINTS.map((hint) => selector.plan(hint));
  const mask = issuers.length - 1;
  rows.push(
    measure(`whole step, least-loaded, ${label}: get + candidates + pin`, (i) => {
      const iss = issuers[i & mask]!;
      const address = affinity.get(iss, NOW);
      const pinned = address === null ? null : (fleet.get(address) ?? null);
      const first = selector.candidates(plans[i & 7]!, iss, pinned, 3, NOW)[0]!;
      affinity.pin(iss, first.address, NOW);
      return first.address.length;
    }),
  );
}

const coalescer = new Coalescer<number>();
const done = Promise.resolve(1);
rows.push(await measureAsync("await of a resolved promise, batches of 256 (async baseline)", 256, () => done));
rows.push(await measureAsync("Coalescer.run, new key, settled (batches of 256)", 256, (i) => coalescer.run(ISSUERS[i & MASK]! + i, async () => i).result));
{
  let release: (value: number) => void = () => {};
  const held = coalescer.run("held", () => new Promise<number>((resolve) => (release = resolve)));
  rows.push(measure("Coalescer.run, joining a key in flight", () => (coalescer.run("held", async () => 0).joined ? 1 : 0)));
  release(1);
  await held.result;
}

const baseline = rows[0]!.ns;
const width = Math.max(...rows.map((row) => row.name.length));
console.log(`selection micro-benchmark: Bun ${Bun.version}, ${ITERATIONS} calls per round, median of ${ROUNDS} rounds`);
console.log(`${"".padEnd(width)}   ns/call   minus empty loop`);
for (const row of rows) {
  const net = row === rows[0] ? "" : (row.ns - baseline).toFixed(1).padStart(10);
  console.log(`${row.name.padEnd(width)}  ${row.ns.toFixed(1).padStart(8)}  ${net}`);
}
if (sink === 0x7fffffff) console.log("");
