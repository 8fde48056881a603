import { describe, expect, test } from "bun:test";
import { Affinity } from "../../src/routing/affinity.ts";
import { Coalescer } from "../../src/upstream/coalesce.ts";
import { RetryBudget } from "../../src/upstream/retry-budget.ts";
import { nodes, selectorFor } from "../support/fleet.ts";

describe("affinity", () => {
  test("a pin lives its ttl after its last use", () => {
    const affinity = new Affinity(1000);
    affinity.pin("a", "http://sfu1", 0);
    expect(affinity.get("a", 999)).toBe("http://sfu1");
    expect(affinity.get("a", 1000)).toBeNull();
    affinity.pin("b", "http://sfu1", 0);
    affinity.pin("b", "http://sfu2", 900);
    expect(affinity.get("b", 1800)).toBe("http://sfu2");
  });

  test("minutes later (default ttl, explicit clock), after other issuers moved the turn, the issuer still gets its SFU", () => {
    const affinity = new Affinity(3_600_000);
    const { selector, fleet } = selectorFor(nodes(null, null));
    const plan = selector.plan(null);
    const at = (minutes: number) => 1_000_000 + minutes * 60_000;
    const choose = (iss: string, now: number) => {
      const address = affinity.get(iss, now);
      const pinned = address === null ? null : (fleet.get(address) ?? null);
      const chosen = selector.candidates(plan, iss, pinned, 3, now)[0]!;
      affinity.pin(iss, chosen.address, now);
      return chosen.address;
    };
    const home = choose("call", at(0));
    for (let i = 0; i < 20; i++) choose(`other-${i}`, at(0.1 * i));
    // 20 others: the turn is at 21, which would give "call" another SFU than its own.
    expect(choose("fresh", at(3))).not.toBe(home);
    expect(affinity.get("call", at(5))).toBe(home);
    expect(choose("call", at(5))).toBe(home);
    // Each use renews the pin: 5 + 59 minutes later it is still there, an hour after the last use it is not.
    expect(affinity.get("call", at(64))).toBe(home);
    expect(affinity.get("call", at(65))).toBeNull();
  });

  test("at most maxPins, the least recently used going first", () => {
    const affinity = new Affinity(10_000, 2);
    affinity.pin("a", "x", 0);
    affinity.pin("b", "y", 1);
    // Used again more than ttl/8 after it was placed: "a" becomes the most recent.
    affinity.pin("a", "x", 2000);
    affinity.pin("c", "z", 2001);
    expect([affinity.get("a", 2002), affinity.get("b", 2002), affinity.get("c", 2002)]).toEqual(["x", null, "z"]);
  });

  test("a pin used again soon is renewed in place: its ttl runs from the last use, its place in the order stays", () => {
    const affinity = new Affinity(10_000, 2);
    affinity.pin("a", "x", 0);
    affinity.pin("b", "y", 1);
    affinity.pin("a", "x", 1000);
    expect(affinity.get("a", 10_500)).toBe("x");
    affinity.pin("c", "z", 1001);
    // "a" kept its first place (renewed within ttl/8), so it went first.
    expect([affinity.get("a", 1002), affinity.get("b", 1002), affinity.get("c", 1002)]).toEqual([null, "y", "z"]);
  });

  test("a re-pin to another SFU moves at once", () => {
    const affinity = new Affinity(10_000, 2);
    affinity.pin("a", "x", 0);
    affinity.pin("a", "y", 1);
    expect(affinity.get("a", 2)).toBe("y");
  });

  test("a full affinity drops its least recently used pins a batch at a time, never holding more than maxPins", () => {
    const affinity = new Affinity(3_600_000, 640);
    let largest = 0;
    for (let i = 0; i < 5000; i++) {
      affinity.pin(`iss-${i}`, "x", i);
      // iss-0 is used all along: it never becomes the least recently used.
      if (i % 100 === 0) affinity.pin("iss-0", "home", i);
      largest = Math.max(largest, affinity.size);
    }
    expect(largest).toBe(640);
    // A batch is 1/64 of maxPins (10): after an eviction 631 pins are left, and never fewer.
    expect(affinity.size).toBeGreaterThanOrEqual(631);
    expect(affinity.get("iss-0", 5000)).toBe("home");
    expect(affinity.get("iss-4999", 5000)).toBe("x");
    expect(affinity.get("iss-4380", 5000)).toBe("x");
    // The oldest went first.
    expect(affinity.get("iss-1", 5000)).toBeNull();
    expect(affinity.get("iss-4000", 5000)).toBeNull();
  });

  test("ttl 0 turns affinity off; counts by address skip expired pins", () => {
    expect((() => {
      const off = new Affinity(0);
      off.pin("a", "x", 0);
      return off.get("a", 0);
    })()).toBeNull();
    const affinity = new Affinity(100);
    affinity.pin("a", "x", 0);
    affinity.pin("b", "x", 50);
    affinity.pin("c", "y", 50);
    expect(Object.fromEntries(affinity.countByAddress(120))).toEqual({ x: 1, y: 1 });
  });
});

describe("coalescer", () => {
  test("concurrent runs of one key share the first one's work and result", async () => {
    const coalescer = new Coalescer<number>();
    let calls = 0;
    let release: (value: number) => void = () => {};
    const work = () => {
      calls++;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const runs = [coalescer.run("k", work), coalescer.run("k", work), coalescer.run("other", async () => 7)];
    expect(runs.map((run) => run.joined)).toEqual([false, true, false]);
    release(42);
    expect(await Promise.all(runs.map((run) => run.result))).toEqual([42, 42, 7]);
    expect(calls).toBe(1);
    expect(coalescer.size).toBe(0);
    // Once settled, the next run works again.
    expect(coalescer.run("k", async () => 5).joined).toBe(false);
  });

  test("a failure reaches every joiner and is forgotten", async () => {
    const coalescer = new Coalescer<number>();
    const first = coalescer.run("k", async () => {
      throw new Error("boom");
    });
    const second = coalescer.run("k", async () => 1);
    await expect(first.result).rejects.toThrow("boom");
    await expect(second.result).rejects.toThrow("boom");
    expect(await coalescer.run("k", async () => 2).result).toBe(2);
  });
});

describe("retry budget", () => {
  test("percent of the last 10 s of requests, plus a floor per second", () => {
    const budget = new RetryBudget(20, 0);
    for (let i = 0; i < 100; i++) budget.recordRequest(1000);
    let granted = 0;
    while (budget.tryRetry(1000)) granted++;
    expect(granted).toBe(20);
  });

  test("the floor allows retries with no traffic, per 10 s window", () => {
    const budget = new RetryBudget(20, 1);
    let granted = 0;
    while (budget.tryRetry(5000)) granted++;
    expect(granted).toBe(10);
    expect(budget.tryRetry(5500)).toBe(false);
    // Ten seconds later the window has moved on.
    expect(budget.tryRetry(15_100)).toBe(true);
  });

  test("old requests leave the window", () => {
    const budget = new RetryBudget(50, 0);
    for (let i = 0; i < 10; i++) budget.recordRequest(1000);
    expect(budget.tryRetry(1000)).toBe(true);
    expect(budget.tryRetry(12_000)).toBe(false);
  });
});
