/**
 * The `routing` section of the fleet document: how a request that names no region gets one.
 *
 *   [routing]
 *   default_region = "eu-west"
 *   [routing.by_address]          # caller address ranges (the Odoo servers); longest prefix wins
 *   "10.1.0.0/16" = "eu-west"
 *   [routing.by_issuer]           # host of the Odoo database in the token's iss
 *   "*.eu.example.com" = "eu-west"
 */
import { type AddressRule, parseCidr } from "../routing/cidr.ts";
import { normaliseIssuerPattern } from "../routing/caller-region.ts";
import type { IssuerRule, RoutingRules } from "./types.ts";

export const EMPTY_ROUTING: RoutingRules = Object.freeze({ defaultRegion: null, byAddress: [], byIssuer: [] });

const FIELDS = new Set(["default_region", "by_address", "by_issuer"]);

const isTable = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function regionName(value: unknown, at: string, problems: string[]): string | null {
  if (typeof value !== "string" || value.trim() === "" || value.trim() !== value) {
    problems.push(`${at}: the region must be a non-empty name without surrounding spaces`);
    return null;
  }
  return value;
}

/** Validates the routing section; `at` names it in messages (for example `secrets.toml: routing`). */
export function readRouting(raw: unknown, at: string, problems: string[]): RoutingRules {
  if (raw === undefined) return EMPTY_ROUTING;
  if (!isTable(raw)) {
    problems.push(`${at}: expected a table with default_region, by_address, by_issuer`);
    return EMPTY_ROUTING;
  }
  for (const name of Object.keys(raw)) {
    if (!FIELDS.has(name)) problems.push(`${at}: unknown setting "${name}" (expected default_region, by_address, by_issuer)`);
  }
  const defaultRegion = raw.default_region === undefined ? null : regionName(raw.default_region, `${at}.default_region`, problems);

  const byAddress: AddressRule[] = [];
  if (raw.by_address !== undefined) {
    if (!isTable(raw.by_address)) problems.push(`${at}.by_address: expected a table of "range" = "region"`);
    else {
      const seen = new Set<string>();
      for (const [range, value] of Object.entries(raw.by_address)) {
        const where = `${at}.by_address."${range}"`;
        const cidr = parseCidr(range);
        const region = regionName(value, where, problems);
        if ("error" in cidr) problems.push(`${where}: ${cidr.error}`);
        else if (seen.has(cidr.text)) problems.push(`${where}: the range ${cidr.text} is listed twice`);
        else if (region !== null) {
          seen.add(cidr.text);
          byAddress.push(Object.freeze({ cidr, region }));
        }
      }
    }
  }

  const byIssuer: IssuerRule[] = [];
  if (raw.by_issuer !== undefined) {
    if (!isTable(raw.by_issuer)) problems.push(`${at}.by_issuer: expected a table of "host pattern" = "region"`);
    else {
      const seen = new Set<string>();
      for (const [text, value] of Object.entries(raw.by_issuer)) {
        const where = `${at}.by_issuer."${text}"`;
        const pattern = normaliseIssuerPattern(text);
        const region = regionName(value, where, problems);
        if (pattern === null) problems.push(`${where}: expected a host name (db.example.com) or *.domain (*.eu.example.com)`);
        else if (seen.has(pattern)) problems.push(`${where}: the pattern ${pattern} is listed twice`);
        else if (region !== null) {
          seen.add(pattern);
          byIssuer.push(Object.freeze({ pattern, region }));
        }
      }
    }
  }
  return Object.freeze({ defaultRegion, byAddress: Object.freeze(byAddress), byIssuer: Object.freeze(byIssuer) });
}

/** Regions the rules name that no SFU has and the built-in map does not know: such requests go to any SFU. */
export function unservedRuleRegions(rules: RoutingRules, known: (region: string) => boolean): string[] {
  const named = [rules.defaultRegion, ...rules.byAddress.map((rule) => rule.region), ...rules.byIssuer.map((rule) => rule.region)];
  return [...new Set(named.filter((region): region is string => region !== null && !known(region)))];
}
