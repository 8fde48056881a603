/**
 * The selector: for a request's plan (its region's tiers, nearest first), the SFUs to try, best
 * first. The issuer's pinned SFU comes first while usable; then each tier's usable SFUs in the
 * order the strategy gives; SFUs the strategy calls overloaded go last. It owns one round-robin
 * turn per tier, so requests for different regions never disturb each other's spreading (the
 * original gateway shared one counter between all regions). `explain` shows the same order without
 * moving any turn.
 */
import type { SfuNode } from "../config/types.ts";
import type { Fleet } from "../fleet/fleet.ts";
import type { SfuState } from "../fleet/sfu-state.ts";
import type { Plan, Plans, Tier } from "./plans.ts";
import type { Strategy } from "./strategies/index.ts";

/** Round-robin turns by tier key, carried from one configuration to the next. */
export type Turns = ReadonlyMap<string, number>;

export interface Ranking {
  /** Usable SFUs, best first. */
  readonly order: readonly SfuState[];
  /** Where each came from. */
  readonly why: ReadonlyMap<SfuState, { readonly tier: Tier | null; readonly step: "pinned" | "tier" | "overloaded" }>;
  /** The tier whose turn a real request advances, or null (pinned, or nothing usable). */
  readonly turnTier: Tier | null;
}

export class Selector {
  readonly plans: Plans;
  readonly strategy: Strategy;
  readonly #fleet: Fleet;
  readonly #turns: Uint32Array;

  constructor(plans: Plans, strategy: Strategy, fleet: Fleet, previousTurns: Turns = new Map()) {
    this.plans = plans;
    this.strategy = strategy;
    this.#fleet = fleet;
    this.#turns = new Uint32Array(plans.tiers.length);
    for (const tier of plans.tiers) this.#turns[tier.id] = previousTurns.get(tier.key) ?? 0;
  }

  /** The plan for a resolved region (null: no preference). */
  plan(region: string | null): Plan {
    return (region === null ? undefined : this.plans.byRegion.get(region)) ?? this.plans.any;
  }

  #state(node: SfuNode): SfuState {
    return this.#fleet.states[node.index]!;
  }

  /** The ranking for a request, with no side effect. */
  rank(plan: Plan, iss: string, pinned: SfuState | null, now = Date.now()): Ranking {
    const why = new Map<SfuState, { tier: Tier | null; step: "pinned" | "tier" | "overloaded" }>();
    const { order, turnTier } = this.#rank(plan, iss, pinned, now, why, Number.POSITIVE_INFINITY);
    return { order, why, turnTier };
  }

  #rank(
    plan: Plan,
    iss: string,
    pinned: SfuState | null,
    now: number,
    why: Map<SfuState, { tier: Tier | null; step: "pinned" | "tier" | "overloaded" }> | null,
    limit: number,
  ) {
    const order: SfuState[] = [];
    const deferred: SfuState[] = [];
    const strategy = this.strategy;
    if (pinned !== null && pinned.usable) {
      order.push(pinned);
      why?.set(pinned, { tier: null, step: "pinned" });
    }
    let turnTier: Tier | null = null;
    let firstDeferredTier: Tier | null = null;
    for (const tier of plan.tiers) {
      // Without load nothing is deferred: the first `limit` SFUs are already the answer.
      if (!strategy.readsLoad && order.length >= limit) break;
      const members: SfuState[] = [];
      for (const node of tier.sfus) {
        const state = this.#state(node);
        if (state.usable && state !== pinned) members.push(state);
      }
      if (members.length === 0) continue;
      for (const state of strategy.order(members, iss, this.#turns[tier.id]!, now)) {
        if (strategy.overloaded(state, now)) {
          deferred.push(state);
          if (turnTier === null && order.length === 0 && deferred.length === 1) firstDeferredTier = tier;
          why?.set(state, { tier, step: "overloaded" });
        } else {
          if (turnTier === null && order.length === 0) turnTier = tier;
          order.push(state);
          why?.set(state, { tier, step: "tier" });
        }
      }
    }
    if (order.length === 0) turnTier = firstDeferredTier;
    for (const state of deferred) order.push(state);
    return { order, turnTier };
  }

  /**
   * At most `limit` SFUs to try for a request, best first (empty when none is usable). Advances the
   * round-robin turn of the tier the first SFU comes from, unless it is the issuer's pinned SFU.
   */
  candidates(plan: Plan, iss: string, pinned: SfuState | null, limit: number, now = Date.now()): SfuState[] {
    const { order, turnTier } = this.#rank(plan, iss, pinned, now, null, limit);
    if (turnTier !== null) this.#turns[turnTier.id] = this.#turns[turnTier.id]! + 1;
    return order.length > limit ? order.slice(0, limit) : order;
  }

  /** The turns to carry into the next configuration. */
  turns(): Turns {
    return new Map(this.plans.tiers.map((tier) => [tier.key, this.#turns[tier.id]!]));
  }
}
