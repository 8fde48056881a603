/**
 * Explain: for a region, country, issuer and caller address, the SFUs a channel request would try,
 * in order, and why each is where it is. Uses the very ranking a request uses, without forwarding
 * anything or moving any round-robin turn.
 */
import type { Runtime } from "../gateway.ts";
import type { SfuState } from "../fleet/sfu-state.ts";
import type { Affinity } from "./affinity.ts";
import { type Hint, resolveHint } from "./hint.ts";
import { distanceKm, REGION_COORDINATES } from "./regions.ts";
import type { Tier } from "./plans.ts";

export interface ExplainInput {
  readonly region?: string | undefined;
  readonly country?: string | undefined;
  readonly iss?: string | undefined;
  /** The caller's address (an Odoo server), as the gateway would see it. */
  readonly address?: string | undefined;
}

export interface ExplainedSfu {
  readonly address: string;
  readonly region: string | null;
  /** 1 = first tried; null for an SFU that would not be tried at all. */
  readonly position: number | null;
  /** Whether a request would try it (within the attempt cap). */
  readonly tried: boolean;
  readonly why: readonly string[];
}

export interface Explanation {
  readonly hint: Hint | null;
  readonly plan: string;
  readonly strategy: string;
  readonly pinned: string | null;
  readonly max_attempts: number;
  readonly candidates: readonly ExplainedSfu[];
  readonly not_usable: readonly ExplainedSfu[];
}

function tierWhy(tier: Tier | null, hint: Hint | null): string {
  if (tier === null) return "pinned: this issuer's channel is on this SFU";
  if (tier.region === null) return hint === null ? "no region asked: any SFU" : "no nearer region has a usable SFU: any other SFU";
  if (hint !== null && tier.region === hint.region) return `in the region asked (${tier.region})`;
  const from = hint === null ? undefined : REGION_COORDINATES.get(hint.region);
  const to = REGION_COORDINATES.get(tier.region);
  const km = from !== undefined && to !== undefined ? ` (${Math.round(distanceKm(from, to))} km away)` : "";
  return `nearest region with an SFU: ${tier.region}${km}`;
}

function hintWhy(hint: Hint | null): string {
  if (hint === null) return "no region: no region, country or caller rule applies";
  const from: Record<Hint["source"], string> = {
    region: "the region parameter",
    country: "the country parameter",
    issuer: "the issuer rule (routing.by_issuer)",
    address: "the caller address rule (routing.by_address)",
    default: "the default region (routing.default_region)",
  };
  return `region ${hint.region} from ${from[hint.source]}`;
}

function unusableWhy(state: SfuState): string[] {
  const why: string[] = [];
  if (state.health.state === "down") why.push(`down since ${new Date(state.health.since).toISOString()}: ${state.health.reason}`);
  if (state.draining) why.push("draining: gets no new channels");
  return why;
}

export function explain(runtime: Runtime, affinity: Affinity, input: ExplainInput, now = Date.now()): Explanation {
  const { selector, config, fleet } = runtime;
  const iss = input.iss ?? "";
  const hint = resolveHint(selector.plans, config.routing, input, iss, input.address ?? "");
  const plan = selector.plan(hint?.region ?? null);
  const pinnedAddress = iss === "" ? null : affinity.get(iss, now);
  const pinned = pinnedAddress === null ? null : (fleet.get(pinnedAddress) ?? null);
  const ranking = selector.rank(plan, iss, pinned, now);
  const candidates = ranking.order.map((state, index) => {
    const placed = ranking.why.get(state)!;
    const why = [tierWhy(placed.tier, hint)];
    if (placed.step !== "pinned") why.push(selector.strategy.describe(state, iss, now));
    if (placed.step === "overloaded") why.push("above its load threshold: used only after every SFU with room");
    if (pinned !== null && state !== pinned && !pinned.usable && index === 0) why.push(`replaces the pinned SFU ${pinned.address}, which is not usable`);
    return { address: state.address, region: state.node.region, position: index + 1, tried: index < config.maxAttempts, why };
  });
  const listed = new Set(ranking.order);
  const inPlan = new Set(plan.tiers.flatMap((tier) => tier.sfus.map((node) => fleet.states[node.index]!)));
  const notUsable = fleet.states
    .filter((state) => !listed.has(state) && inPlan.has(state))
    .map((state) => ({ address: state.address, region: state.node.region, position: null, tried: false, why: unusableWhy(state) }));
  return {
    hint,
    plan: `${hintWhy(hint)}; plan: ${plan.tiers.map((tier) => tier.region ?? "any").join(" → ") || "no SFU"}`,
    strategy: selector.strategy.name,
    pinned: pinnedAddress,
    max_attempts: config.maxAttempts,
    candidates,
    not_usable: notUsable,
  };
}
