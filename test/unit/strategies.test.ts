import { describe, expect, test } from "bun:test";
import { defaultSettings } from "../../src/config/settings.ts";
import { hashStrategy, rendezvousScore } from "../../src/routing/strategies/hash.ts";
import { leastLoaded, loadView } from "../../src/routing/strategies/least-loaded.ts";
import { rotate } from "../../src/routing/strategies/strategy.ts";
import { node, selectorFor, short } from "../support/fleet.ts";

test.each([
  [[], 3, []],
  [["a"], 5, ["a"]],
  [["a", "b", "c"], 0, ["a", "b", "c"]],
  [["a", "b", "c"], 4, ["b", "c", "a"]],
  [["a", "b", "c"], 2 ** 32 - 1, ["a", "b", "c"]],
])("rotate(%p, %p) → %p", (members, turn, expected) => {
  expect(rotate(members, turn)).toEqual(expected);
});

describe("hash (rendezvous)", () => {
  const sfus = [0, 1, 2, 3].map((index) => node(index, "eu-west"));

  test("the same issuer ranks the SFUs alike every time and in every process (no per-process seed)", () => {
    const { selector } = selectorFor(sfus, hashStrategy);
    const first = selector.candidates(selector.plan("eu-west"), "https://db.example.com:channel:1", null, 4).map((s) => s.address);
    for (let i = 0; i < 5; i++) {
      expect(selector.candidates(selector.plan("eu-west"), "https://db.example.com:channel:1", null, 4).map((s) => s.address)).toEqual(first);
    }
    // Another process computes the very same scores: replicas agree without talking to each other.
    const script = `import { rendezvousScore } from "${import.meta.dir}/../../src/routing/strategies/hash.ts";
      console.log(JSON.stringify([0, 1, 2, 3].map((i) => rendezvousScore("https://db.example.com:channel:1", "http://sfu" + i, 1))));`;
    const other = Bun.spawnSync([process.execPath, "-e", script]);
    const here = [0, 1, 2, 3].map((i) => rendezvousScore("https://db.example.com:channel:1", `http://sfu${i}`, 1));
    expect(JSON.parse(other.stdout.toString())).toEqual(here);
    expect(new Set(here).size).toBe(4);
  });

  test("different issuers spread over the SFUs, about evenly", () => {
    const { selector } = selectorFor(sfus, hashStrategy);
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const first = selector.candidates(selector.plan("eu-west"), `https://db${i}.example.com:channel:${i}`, null, 1)[0]!;
      counts.set(first.address, (counts.get(first.address) ?? 0) + 1);
    }
    expect(counts.size).toBe(4);
    for (const count of counts.values()) expect(count).toBeGreaterThan(800);
  });

  test("when an SFU leaves, only its issuers move", () => {
    const { selector, fleet } = selectorFor(sfus, hashStrategy);
    const issuers = Array.from({ length: 400 }, (_, i) => `https://db.example.com:channel:${i}`);
    const before = issuers.map((iss) => selector.candidates(selector.plan("eu-west"), iss, null, 1)[0]!.address);
    fleet.states[2]!.draining = true;
    const after = issuers.map((iss) => selector.candidates(selector.plan("eu-west"), iss, null, 1)[0]!.address);
    issuers.forEach((_, i) => {
      if (before[i] !== "http://sfu2") expect(after[i]).toBe(before[i]!);
      else expect(after[i]).not.toBe("http://sfu2");
    });
  });

  test("weights shift the share", () => {
    const weighted = [node(0, "eu-west", { weight: 3 }), node(1, "eu-west", { weight: 1 })];
    const { selector } = selectorFor(weighted, hashStrategy);
    let heavy = 0;
    for (let i = 0; i < 4000; i++) if (selector.candidates(selector.plan("eu-west"), `iss-${i}`, null, 1)[0]!.node.index === 0) heavy++;
    expect(heavy / 4000).toBeGreaterThan(0.7);
    expect(heavy / 4000).toBeLessThan(0.8);
  });
});

describe("least-loaded", () => {
  const settings = defaultSettings({ statsIntervalMs: 1000, statsStaleIntervals: 3, loadThresholdPercent: 80, provisionalSessions: 2 });
  const NOW = 1_000_000;

  function setup(capacities: (number | null)[], weights: number[] = []) {
    const sfus = capacities.map((capacity, index) => node(index, "eu-west", { capacity, weight: weights[index] ?? 1 }));
    return selectorFor(sfus, leastLoaded(settings));
  }

  test("a burst between two polls spreads by capacity, thanks to provisional load", () => {
    const { selector, fleet } = setup([300, 100]);
    for (const state of fleet.states) state.load = { sessions: 0, channels: 0, at: NOW };
    const counts = [0, 0];
    for (let i = 0; i < 100; i++) {
      const chosen = selector.candidates(selector.plan("eu-west"), `iss-${i}`, null, 1, NOW)[0]!;
      chosen.reserve(NOW);
      counts[chosen.node.index]!++;
    }
    expect(counts).toEqual([75, 25]);
  });

  test("the reported load counts", () => {
    const { selector, fleet } = setup([100, 100]);
    fleet.states[0]!.load = { sessions: 50, channels: 10, at: NOW };
    fleet.states[1]!.load = { sessions: 10, channels: 2, at: NOW };
    expect(selector.candidates(selector.plan("eu-west"), "a", null, 2, NOW).map((s) => s.node.index)).toEqual([1, 0]);
  });

  test("stale stats are unknown, never an idle SFU: they rank after fresh ones with room", () => {
    const { selector, fleet } = setup([100, 100]);
    fleet.states[0]!.load = { sessions: 0, channels: 0, at: NOW - 3001 };
    fleet.states[1]!.load = { sessions: 60, channels: 5, at: NOW };
    expect(loadView(fleet.states[0]!, settings, NOW).known).toBe(false);
    expect(selector.candidates(selector.plan("eu-west"), "a", null, 2, NOW).map((s) => s.node.index)).toEqual([1, 0]);
  });

  test("an SFU above its threshold is used only when every candidate is", () => {
    const { selector, fleet } = setup([100, 1000]);
    fleet.states[0]!.load = { sessions: 80, channels: 10, at: NOW };
    fleet.states[1]!.load = { sessions: 900, channels: 90, at: NOW };
    // Scores: 0.8 against 0.9, but the first is at its 80 % threshold; the second (90 %) too.
    expect(selector.candidates(selector.plan("eu-west"), "a", null, 2, NOW).map((s) => s.node.index)).toEqual([0, 1]);
    fleet.states[1]!.load = { sessions: 700, channels: 90, at: NOW };
    expect(selector.candidates(selector.plan("eu-west"), "a", null, 2, NOW).map((s) => s.node.index)).toEqual([1, 0]);
  });

  test("overloaded SFUs of the region go after room in a farther region", () => {
    const sfus = [node(0, "eu-west", { capacity: 10 }), node(1, "us-east", { capacity: 10 })];
    const { selector, fleet } = selectorFor(sfus, leastLoaded(settings));
    fleet.states[0]!.load = { sessions: 9, channels: 3, at: NOW };
    fleet.states[1]!.load = { sessions: 1, channels: 1, at: NOW };
    expect(selector.candidates(selector.plan("eu-west"), "a", null, 2, NOW).map((s) => short(s.address))).toEqual(["sfu1", "sfu0"]);
  });

  test("without any stats it goes round-robin", () => {
    const { selector } = setup([null, null, null]);
    const picks = [0, 1, 2, 3].map((i) => selector.candidates(selector.plan("eu-west"), `i${i}`, null, 1, NOW)[0]!.node.index);
    expect(picks).toEqual([0, 1, 2, 0]);
  });

  test("describe says what it knows", () => {
    const { fleet } = setup([100]);
    const strategy = leastLoaded(settings);
    expect(strategy.describe(fleet.states[0]!, "a", NOW)).toBe("load unknown (stats never read)");
    fleet.states[0]!.load = { sessions: 40, channels: 4, at: NOW };
    fleet.states[0]!.reserve(NOW);
    expect(strategy.describe(fleet.states[0]!, "a", NOW)).toBe("load 42 sessions of 100 (42 %), weight 1, 1 channel(s) asked for since the last stats");
  });
});

describe("provisional load", () => {
  test("a reservation counts until stats taken more than one interval after it arrive; a release takes the latest back", () => {
    const { fleet } = selectorFor([node(0, "eu-west", { capacity: 100 })], leastLoaded(defaultSettings()));
    const state = fleet.states[0]!;
    state.reserve(1000);
    state.reserve(5000);
    state.reserve(9000);
    state.release();
    expect(state.provisionalChannels).toBe(2);
    // Stats at t = 10 s with a 5 s interval: the channel asked for at 1 s shows in them, the one at 5 s may not.
    fleet.recordLoad(state, { sessions: 2, channels: 1, at: 10_000 }, 5000);
    expect(state.provisionalChannels).toBe(1);
    fleet.recordLoad(state, { sessions: 4, channels: 2, at: 15_000 }, 5000);
    expect(state.provisionalChannels).toBe(0);
  });

  test("a failed stats poll drops reservations older than one interval too", () => {
    const { fleet } = selectorFor([node(0, "eu-west", { capacity: 100 })], leastLoaded(defaultSettings()));
    const state = fleet.states[0]!;
    state.reserve(1000);
    state.reserve(9000);
    fleet.recordStatsError(state, "HTTP 500", 10_000 - 5000);
    expect(state.provisionalChannels).toBe(1);
    expect(state.lastStatsError).toBe("HTTP 500");
  });
});
