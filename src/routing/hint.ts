/** Which region a channel request asks for. */
import type { RoutingRules } from "../config/types.ts";
import { callerRegion, type Hint } from "./caller-region.ts";
import type { Plans } from "./plans.ts";
import { regionOfCountry } from "./regions.ts";

export type { Hint, HintSource } from "./caller-region.ts";

/**
 * The region to route to, by precedence: `region` when it names a configured or built-in region,
 * else the region of `country` (ISO 3166-1 alpha-2, any case) when the table knows it, else the
 * caller rules (issuer host, caller address, default region), else null (no preference).
 * An unknown `region` falls through to the next source instead of being ignored with it.
 */
export function resolveHint(
  plans: Plans,
  rules: RoutingRules,
  query: { readonly region?: string | undefined; readonly country?: string | undefined },
  iss: string,
  peer: string,
): Hint | null {
  const { region, country } = query;
  if (region !== undefined && region !== "" && plans.byRegion.has(region)) return { region, source: "region" };
  if (country !== undefined && country !== "") {
    const fromCountry = regionOfCountry(country);
    if (fromCountry !== undefined) return { region: fromCountry, source: "country" };
  }
  return callerRegion(rules, iss, peer);
}
