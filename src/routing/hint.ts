/** Which region a channel request asks for. */
import type { Plans } from "./plans.ts";
import { regionOfCountry } from "./regions.ts";

/**
 * The region to route to: `region` when it names a configured or built-in region, else the region of
 * `country` (ISO 3166-1 alpha-2, any case) when the table knows it, else null (no preference).
 * An unknown `region` falls back to `country` instead of being ignored with it.
 */
export function resolveHint(plans: Plans, region: string | undefined, country: string | undefined): string | null {
  if (region !== undefined && region !== "" && plans.byRegion.has(region)) return region;
  if (country !== undefined && country !== "") {
    const fromCountry = regionOfCountry(country);
    if (fromCountry !== undefined) return fromCountry;
  }
  return null;
}
