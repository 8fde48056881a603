/**
 * One channel request's calls to SFUs: the first candidate, then, when it fails in a way another SFU
 * may not, the next ones in order, one after the other (never in parallel: channel creation on the
 * SFU is not safe against concurrent duplicates). Each attempt has its own time limit, never more
 * than what is left of the request's deadline; retries are capped and drawn from a retry budget.
 * Each outcome is recorded against the SFU that produced it.
 */
import type { Fleet } from "../fleet/fleet.ts";
import type { SfuState } from "../fleet/sfu-state.ts";
import type { DeadlineSignals } from "./deadlines.ts";
import type { RetryBudget } from "./retry-budget.ts";
import { faultOf, type SfuFailure, type SfuOutcome } from "./sfu-call.ts";

export interface FailoverPolicy {
  readonly deadlineMs: number;
  readonly attemptTimeoutMs: number;
}

export interface Attempt {
  readonly sfu: SfuState;
  readonly outcome: SfuOutcome;
}

export interface FailoverResult {
  /** The last attempt (the successful one, if any); null when no attempt was made. */
  readonly last: Attempt | null;
  readonly attempts: readonly Attempt[];
  /** Why no further SFU was tried after a failure. */
  readonly stoppedBy: "success" | "caller-error" | "exhausted" | "deadline" | "retry-budget" | "no-candidate";
}

export type CallOne = (sfu: SfuState, timeoutMs: number, signal: AbortSignal) => Promise<SfuOutcome>;

export interface FailoverServices {
  readonly fleet: Fleet;
  readonly budget: RetryBudget;
  readonly deadlines: DeadlineSignals;
  /** Told of each retry (metrics). */
  readonly onRetry?: (from: SfuState, to: SfuState) => void;
}

export async function callWithFailover(
  candidates: readonly SfuState[],
  callOne: CallOne,
  policy: FailoverPolicy,
  services: FailoverServices,
): Promise<FailoverResult> {
  const { fleet, budget, deadlines } = services;
  const attempts: Attempt[] = [];
  if (candidates.length === 0) return { last: null, attempts, stoppedBy: "no-candidate" };
  budget.recordRequest();
  const started = performance.now();
  let stoppedBy: FailoverResult["stoppedBy"] = "exhausted";
  for (const sfu of candidates) {
    const previous = attempts.at(-1);
    if (previous !== undefined) {
      // Another request may have taken this one out meanwhile.
      if (!sfu.usable) continue;
      if (!budget.tryRetry()) {
        stoppedBy = "retry-budget";
        break;
      }
      services.onRetry?.(previous.sfu, sfu);
    }
    const remaining = attempts.length === 0 ? policy.deadlineMs : Math.floor(policy.deadlineMs - (performance.now() - started));
    if (remaining < 1) {
      stoppedBy = "deadline";
      break;
    }
    const timeoutMs = Math.min(policy.attemptTimeoutMs, remaining);
    const outcome = await callOne(sfu, timeoutMs, deadlines.within(timeoutMs));
    const attempt = { sfu, outcome };
    attempts.push(attempt);
    if (outcome.ok) {
      fleet.recordCall(sfu, null);
      return { last: attempt, attempts, stoppedBy: "success" };
    }
    if (faultOf(outcome) === "caller") {
      fleet.recordCallerError(sfu);
      return { last: attempt, attempts, stoppedBy: "caller-error" };
    }
    fleet.recordCall(sfu, outcome.error);
  }
  return { last: attempts.at(-1) ?? null, attempts, stoppedBy: attempts.length === 0 ? "no-candidate" : stoppedBy };
}

/** The failure of the last attempt, when the request failed after trying. */
export function lastFailure(result: FailoverResult): SfuFailure | null {
  const outcome = result.last?.outcome;
  return outcome === undefined || outcome.ok ? null : outcome;
}
