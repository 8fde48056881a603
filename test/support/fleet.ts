/** Fleets built in memory for unit tests of selection: nodes, states and a selector over them. */
import type { SfuNode } from "../../src/config/types.ts";
import { Fleet } from "../../src/fleet/fleet.ts";
import type { HealthRules } from "../../src/fleet/health.ts";
import { buildPlans } from "../../src/routing/plans.ts";
import { Selector } from "../../src/routing/selector.ts";
import type { Strategy } from "../../src/routing/strategies/index.ts";
import { roundRobin } from "../../src/routing/strategies/round-robin.ts";

export const RULES: HealthRules = { rise: 2, fall: 3, ejectAfter: 3, ejectBaseMs: 5000, ejectMaxMs: 120_000 };

/** SFU `index` at http://sfu<index>, in `region`. */
export function node(index: number, region: string | null, extra: Partial<Pick<SfuNode, "capacity" | "weight">> = {}): SfuNode {
  return {
    index,
    address: `http://sfu${index}`,
    region,
    channelUrl: `http://sfu${index}/v1/channel`,
    key: new Uint8Array(32).fill(index),
    capacity: extra.capacity ?? null,
    weight: extra.weight ?? 1,
  };
}

/** Node list from regions: `nodes("eu-west", "eu-west", null)`. */
export const nodes = (...regions: (string | null)[]) => regions.map((region, index) => node(index, region));

export function selectorFor(sfus: readonly SfuNode[], strategy: Strategy = roundRobin) {
  const fleet = new Fleet(sfus, RULES, () => {});
  return { fleet, selector: new Selector(buildPlans(sfus), strategy, fleet) };
}

/** `http://sfu3` → `sfu3`. */
export const short = (address: string) => address.replace("http://", "");
