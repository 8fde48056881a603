/**
 * The selector: given a hint, the SFU a channel request goes to.
 * It owns one round-robin index per tier, so requests for different regions never disturb each
 * other's spreading (the original gateway shared one counter between all regions).
 */
import { Elysia } from "elysia";
import type { SfuNode } from "../config/types.ts";
import { buildPlans, type Plan, type Plans } from "./plans.ts";

export class Selector {
  readonly plans: Plans;
  readonly #next: Uint32Array;

  constructor(sfus: readonly SfuNode[]) {
    this.plans = buildPlans(sfus);
    this.#next = new Uint32Array(this.plans.tierCount);
  }

  /** The plan for a resolved hint (null: no preference). */
  plan(hint: string | null): Plan {
    return (hint === null ? undefined : this.plans.byRegion.get(hint)) ?? this.plans.any;
  }

  /** The next SFU of the plan's best tier, round-robin; undefined when no SFU is configured. */
  pick(plan: Plan): SfuNode | undefined {
    const tier = plan.tiers[0];
    if (tier === undefined) return undefined;
    const turn = this.#next[tier.id]!;
    this.#next[tier.id] = turn + 1;
    return tier.sfus[turn % tier.sfus.length];
  }
}

/** Elysia plugin: decorates the app with one `selector` for the configured SFUs. */
export const selectorPlugin = (sfus: readonly SfuNode[]) =>
  new Elysia({ name: "selector" }).decorate("selector", new Selector(sfus));
