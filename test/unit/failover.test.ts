import { describe, expect, test } from "bun:test";
import type { SfuState } from "../../src/fleet/sfu-state.ts";
import { DeadlineSignals } from "../../src/upstream/deadlines.ts";
import { callWithFailover, type CallOne } from "../../src/upstream/failover.ts";
import { RetryBudget } from "../../src/upstream/retry-budget.ts";
import type { SfuOutcome } from "../../src/upstream/sfu-call.ts";
import { nodes, selectorFor, short } from "../support/fleet.ts";

const OK: SfuOutcome = { ok: true, channel: { uuid: "u", url: "http://sfu" } };
const REFUSED: SfuOutcome = { ok: false, kind: "refused", status: 502, error: "the SFU refused the connection" };
const CALLER_400: SfuOutcome = { ok: false, kind: "status", status: 502, sfuStatus: 400, error: "the SFU answered HTTP 400" };
const KEY_401: SfuOutcome = { ok: false, kind: "status", status: 502, sfuStatus: 401, error: "the SFU answered HTTP 401" };

function setup(outcomes: Record<string, SfuOutcome | "hang">, budget = new RetryBudget(100, 100)) {
  const { fleet } = selectorFor(nodes("eu-west", "eu-west", "eu-west", "eu-west"));
  const calls: { sfu: string; timeoutMs: number }[] = [];
  const callOne: CallOne = (sfu, timeoutMs, signal) => {
    calls.push({ sfu: short(sfu.address), timeoutMs });
    const outcome = outcomes[short(sfu.address)] ?? OK;
    if (outcome !== "hang") return Promise.resolve(outcome);
    return new Promise((resolve) =>
      signal.addEventListener("abort", () => resolve({ ok: false, kind: "timeout", status: 504, error: `no answer within ${timeoutMs} ms` })),
    );
  };
  const services = { fleet, budget, deadlines: new DeadlineSignals(1) };
  return { fleet, calls, callOne, services, all: fleet.states as SfuState[] };
}

describe("failover", () => {
  test("the next candidate is tried when one fails by its fault, and the failure counts against it", async () => {
    const { calls, callOne, services, all } = setup({ sfu0: REFUSED, sfu1: KEY_401 });
    const result = await callWithFailover(all, callOne, { deadlineMs: 2000, attemptTimeoutMs: 500 }, services);
    expect(result.stoppedBy).toBe("success");
    expect(calls.map((call) => call.sfu)).toEqual(["sfu0", "sfu1", "sfu2"]);
    expect(all.map((state) => [state.requests, state.failures])).toEqual([[1, 1], [1, 1], [1, 0], [0, 0]]);
    expect(all[1]!.lastError?.message).toContain("401");
  });

  test("a caller error is neither retried nor held against the SFU", async () => {
    const { calls, callOne, services, all } = setup({ sfu0: CALLER_400 });
    const result = await callWithFailover(all, callOne, { deadlineMs: 2000, attemptTimeoutMs: 500 }, services);
    expect(result.stoppedBy).toBe("caller-error");
    expect(calls.length).toBe(1);
    expect(all[0]!.failures).toBe(0);
    expect(all[0]!.health.callFailures).toBe(0);
  });

  test("each attempt gets its own time, never more than what is left", async () => {
    const { calls, callOne, services, all } = setup({ sfu0: "hang", sfu1: "hang", sfu2: "hang" });
    const started = performance.now();
    const result = await callWithFailover(all.slice(0, 3), callOne, { deadlineMs: 250, attemptTimeoutMs: 100 }, services);
    const elapsed = performance.now() - started;
    expect(result.stoppedBy).toBe("exhausted");
    expect(calls[0]!.timeoutMs).toBe(100);
    expect(calls[1]!.timeoutMs).toBe(100);
    expect(calls[2]!.timeoutMs).toBeLessThanOrEqual(50);
    expect(calls[2]!.timeoutMs).toBeGreaterThan(30);
    expect(elapsed).toBeLessThan(400);
    expect(result.last?.outcome.ok).toBe(false);
  });

  test("an SFU taken out meanwhile is passed over", async () => {
    const { calls, callOne, services, all } = setup({ sfu0: REFUSED });
    all[1]!.draining = true;
    await callWithFailover(all, callOne, { deadlineMs: 2000, attemptTimeoutMs: 500 }, services);
    expect(calls.map((call) => call.sfu)).toEqual(["sfu0", "sfu2"]);
  });

  test("a spent retry budget stops retries", async () => {
    const budget = new RetryBudget(0, 0);
    const { calls, callOne, services, all } = setup({ sfu0: REFUSED }, budget);
    const result = await callWithFailover(all, callOne, { deadlineMs: 2000, attemptTimeoutMs: 500 }, services);
    expect(result.stoppedBy).toBe("retry-budget");
    expect(calls.length).toBe(1);
  });

  test("no candidate, no attempt", async () => {
    const { callOne, services } = setup({});
    expect((await callWithFailover([], callOne, { deadlineMs: 2000, attemptTimeoutMs: 500 }, services)).stoppedBy).toBe("no-candidate");
  });
});
