/**
 * The SFUs of one configuration and what happens to them: probe results, channel-call outcomes,
 * drain. A reload builds a new Fleet from the previous one: an SFU whose address stays keeps its
 * state object (health, drain, counters, load); one whose key changed starts its health over.
 */
import type { SfuNode } from "../config/types.ts";
import { equalBytes } from "../auth/constant-time.ts";
import { Hs256Signer } from "../auth/hs256.ts";
import { type HealthEvent, type HealthRules, initialHealth, nextHealth } from "./health.ts";
import { type LoadReport, type ProbeResult, SfuState } from "./sfu-state.ts";

export interface StateChange {
  readonly sfu: SfuState;
  readonly from: "up" | "down";
  readonly to: "up" | "down";
  readonly reason: string;
}

export type ChangeListener = (change: StateChange) => void;

export class Fleet {
  /** In configuration order: `states[node.index]`. */
  readonly states: readonly SfuState[];
  readonly #byAddress: ReadonlyMap<string, SfuState>;
  readonly #rules: HealthRules;
  readonly #onChange: ChangeListener;

  constructor(nodes: readonly SfuNode[], rules: HealthRules, onChange: ChangeListener, previous: Fleet | null = null, now = Date.now()) {
    this.#rules = rules;
    this.#onChange = onChange;
    this.states = nodes.map((node) => {
      const kept = previous?.get(node.address);
      if (kept === undefined) return new SfuState(node, now);
      if (!equalBytes(kept.node.key, node.key)) {
        kept.signer = new Hs256Signer(node.key);
        kept.health = initialHealth(now, "key changed by a reload; not probed yet");
      }
      kept.node = node;
      return kept;
    });
    this.#byAddress = new Map(this.states.map((state) => [state.address, state]));
  }

  get(address: string): SfuState | undefined {
    return this.#byAddress.get(address);
  }

  get usableCount(): number {
    let count = 0;
    for (const state of this.states) if (state.usable) count++;
    return count;
  }

  #apply(state: SfuState, event: HealthEvent, now: number): void {
    const before = state.health;
    const after = nextHealth(before, event, this.#rules, now);
    if (after === before) return;
    state.health = after;
    if (after.state !== before.state) this.#onChange({ sfu: state, from: before.state, to: after.state, reason: after.reason });
  }

  recordProbe(state: SfuState, result: ProbeResult): void {
    state.lastProbe = result;
    this.#apply(state, result.ok ? { kind: "probe", ok: true } : { kind: "probe", ok: false, error: result.error ?? "failed" }, result.at);
  }

  /** A channel call that reached an answer by the SFU's doing: success, or a failure that is its fault. */
  recordCall(state: SfuState, error: string | null, now = Date.now()): void {
    state.requests++;
    if (error === null) {
      this.#apply(state, { kind: "call", ok: true }, now);
      return;
    }
    state.failures++;
    state.lastError = { at: now, message: error };
    this.#apply(state, { kind: "call", ok: false, error }, now);
  }

  /** A channel call whose failure was the caller's (a 4xx the SFU gave for the request itself). */
  recordCallerError(state: SfuState): void {
    state.requests++;
  }

  /**
   * New stats: they replace the last ones, and the channels asked for more than `settleMs` before
   * them stop counting as provisional load (the stats show them by now).
   */
  recordLoad(state: SfuState, load: LoadReport, settleMs = 0): void {
    state.load = load;
    state.lastStatsError = null;
    state.settle(load.at - settleMs);
  }

  /** A failed stats poll: the last stats stay (and age); reservations older than `settleBefore` are dropped all the same. */
  recordStatsError(state: SfuState, error: string, settleBefore = Number.NEGATIVE_INFINITY): void {
    state.lastStatsError = error;
    state.settle(settleBefore);
  }

  /**
   * Drains or undrains the SFU at `address` (as an operator types it: a trailing slash and the case
   * do not matter); undefined when no SFU has that address, else whether its state changed.
   */
  setDraining(address: string, draining: boolean): { readonly sfu: SfuState; readonly changed: boolean } | undefined {
    const wanted = address.trim().replace(/\/+$/, "");
    const sfu = this.get(wanted) ?? this.states.find((candidate) => candidate.address.toLowerCase() === wanted.toLowerCase());
    if (sfu === undefined) return undefined;
    const changed = sfu.draining !== draining;
    sfu.draining = draining;
    return { sfu, changed };
  }
}
