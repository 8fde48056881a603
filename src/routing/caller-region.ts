/**
 * The region of a request that names none, told from the caller: by the issuer's host (`iss` is
 * `<Odoo base URL>:channel:<id>`), by the caller's address, or by the default region.
 */
import type { IssuerRule, RoutingRules } from "../config/types.ts";
import { regionOfAddress } from "./cidr.ts";

/** Where a region came from, in order of precedence. */
export type HintSource = "region" | "country" | "issuer" | "address" | "default";

export interface Hint {
  readonly region: string;
  readonly source: HintSource;
}

/** The lower-cased host of an Odoo issuer (`https://db.example.com:channel:42` → `db.example.com`), or null. */
export function issuerHost(iss: string): string | null {
  const match = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^/:?#]+)/i.exec(iss);
  return match === null ? null : match[1]!.toLowerCase();
}

/** A host pattern as configured: a host name, or `*.` followed by a domain. Null when invalid. */
export function normaliseIssuerPattern(text: string): string | null {
  const pattern = text.trim().toLowerCase();
  const host = pattern.startsWith("*.") ? pattern.slice(2) : pattern;
  if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(host)) return null;
  return pattern;
}

/**
 * The region of the rule matching `host`: an exact host rule first, else the wildcard rule with the
 * longest domain (`*.eu.example.com` before `*.example.com`); `*.example.com` matches every host
 * under example.com, not example.com itself.
 */
export function regionOfIssuerHost(rules: readonly IssuerRule[], host: string): string | null {
  let best: IssuerRule | null = null;
  for (const rule of rules) {
    if (rule.pattern === host) return rule.region;
    if (rule.pattern.startsWith("*.") && host.endsWith(rule.pattern.slice(1))) {
      if (best === null || rule.pattern.length > best.pattern.length) best = rule;
    }
  }
  return best?.region ?? null;
}

/** The caller's region by the rules (issuer, then address, then default), or null. */
export function callerRegion(rules: RoutingRules, iss: string, peer: string): Hint | null {
  if (rules.byIssuer.length > 0) {
    const host = issuerHost(iss);
    const region = host === null ? null : regionOfIssuerHost(rules.byIssuer, host);
    if (region !== null) return { region, source: "issuer" };
  }
  const byAddress = regionOfAddress(rules.byAddress, peer);
  if (byAddress !== null) return { region: byAddress, source: "address" };
  if (rules.defaultRegion !== null) return { region: rules.defaultRegion, source: "default" };
  return null;
}
