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
import { parseCidr } from "../routing/cidr.ts";
import { normaliseIssuerPattern } from "../routing/caller-region.ts";
import type { RoutingRules } from "./types.ts";

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

  const byAddress = readRuleTable(raw.by_address, `${at}.by_address`, "range", problems, (range) => {
    const cidr = parseCidr(range);
    return "error" in cidr ? { error: cidr.error } : { key: cidr.text, make: (region) => ({ cidr, region }) };
  });
  const byIssuer = readRuleTable(raw.by_issuer, `${at}.by_issuer`, "host pattern", problems, (text) => {
    const pattern = normaliseIssuerPattern(text);
    if (pattern === null) return { error: "expected a host name (db.example.com) or *.domain (*.eu.example.com)" };
    return { key: pattern, make: (region) => ({ pattern, region }) };
  });
  return Object.freeze({ defaultRegion, byAddress, byIssuer });
}

/**
 * A table of `"<match>" = "<region>"` rules. `parse` reads a match: why it is invalid, or its
 * normalised key (two entries with the same key are an error) and how to make the rule.
 */
function readRuleTable<Rule>(
  raw: unknown,
  at: string,
  what: string,
  problems: string[],
  parse: (text: string) => { readonly error: string } | { readonly key: string; readonly make: (region: string) => Rule },
): readonly Rule[] {
  if (raw === undefined) return [];
  if (!isTable(raw)) {
    problems.push(`${at}: expected a table of "${what}" = "region"`);
    return [];
  }
  const rules: Rule[] = [];
  const seen = new Set<string>();
  for (const [text, value] of Object.entries(raw)) {
    const where = `${at}."${text}"`;
    const match = parse(text);
    const region = regionName(value, where, problems);
    if ("error" in match) problems.push(`${where}: ${match.error}`);
    else if (seen.has(match.key)) problems.push(`${where}: the ${what} ${match.key} is listed twice`);
    else if (region !== null) {
      seen.add(match.key);
      rules.push(Object.freeze(match.make(region)));
    }
  }
  return Object.freeze(rules);
}

/** Regions the rules name that no SFU has and the built-in map does not know: such requests go to any SFU. */
export function unservedRuleRegions(rules: RoutingRules, known: (region: string) => boolean): string[] {
  const named = [rules.defaultRegion, ...rules.byAddress.map((rule) => rule.region), ...rules.byIssuer.map((rule) => rule.region)];
  return [...new Set(named.filter((region): region is string => region !== null && !known(region)))];
}
