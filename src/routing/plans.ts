/**
 * Candidate lists, computed once per configuration: for every region a hint can name, the SFUs to
 * use in order of preference, grouped in tiers (the region's own SFUs, then the nearest configured
 * regions by great-circle distance, then every other SFU).
 */
import type { SfuNode } from "../config/types.ts";
import { REGION_COORDINATES, regionsByDistance } from "./regions.ts";

/** SFUs that are equally good for a hint; a request is spread over a tier by round-robin. */
export interface Tier {
  /** Dense id (0..tiers.length-1), for per-tier state such as a round-robin turn. */
  readonly id: number;
  /** Names the tier by its region and members: the same tier in the next configuration has the same key. */
  readonly key: string;
  /** The region these SFUs are in, or null for "any other SFU". */
  readonly region: string | null;
  readonly sfus: readonly SfuNode[];
}

/** Where a request with a given hint may go: non-empty tiers, best first. */
export interface Plan {
  readonly hint: string | null;
  readonly tiers: readonly Tier[];
}

export interface Plans {
  /** The plan of each region a hint may name: every configured region and every built-in one. */
  readonly byRegion: ReadonlyMap<string, Plan>;
  /** The plan for a request without a usable hint: every SFU, one tier. */
  readonly any: Plan;
  /** Every distinct tier the plans share, by id. */
  readonly tiers: readonly Tier[];
}

export function buildPlans(sfus: readonly SfuNode[]): Plans {
  const tiers = new Map<string, Tier>();
  const tier = (region: string | null, members: readonly SfuNode[]): Tier => {
    const key = `${region ?? "*"} ${members.map((sfu) => sfu.address).join(" ")}`;
    let found = tiers.get(key);
    if (found === undefined) {
      found = Object.freeze({ id: tiers.size, key, region, sfus: Object.freeze([...members]) });
      tiers.set(key, found);
    }
    return found;
  };
  const configured = [...new Set(sfus.flatMap((sfu) => (sfu.region === null ? [] : [sfu.region])))];
  const inRegion = (region: string) => sfus.filter((sfu) => sfu.region === region);
  const any: Plan = Object.freeze({ hint: null, tiers: sfus.length === 0 ? [] : [tier(null, sfus)] });

  const byRegion = new Map<string, Plan>();
  for (const hint of new Set([...configured, ...REGION_COORDINATES.keys()])) {
    const order = configured.includes(hint) ? [hint] : [];
    for (const region of regionsByDistance(hint, configured)) if (region !== hint) order.push(region);
    const planned = order.map((region) => tier(region, inRegion(region)));
    const covered = new Set(planned.flatMap((t) => t.sfus));
    const rest = sfus.filter((sfu) => !covered.has(sfu));
    if (rest.length > 0) planned.push(tier(null, rest));
    byRegion.set(hint, Object.freeze({ hint, tiers: Object.freeze(planned) }));
  }
  return { byRegion, any, tiers: [...tiers.values()] };
}
