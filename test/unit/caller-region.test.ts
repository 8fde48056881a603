import { describe, expect, test } from "bun:test";
import { readRouting } from "../../src/config/routing.ts";
import { callerRegion, issuerHost, normaliseIssuerPattern, regionOfIssuerHost } from "../../src/routing/caller-region.ts";
import { resolveHint } from "../../src/routing/hint.ts";
import { buildPlans } from "../../src/routing/plans.ts";
import { nodes } from "../support/fleet.ts";

describe("issuerHost", () => {
  test.each([
    ["https://db.example.com:channel:42", "db.example.com"],
    ["http://localhost:8069:channel:1", "localhost"],
    ["https://DB.Example.com/odoo:channel:7", "db.example.com"],
    ["http://[2001:db8::1]:8069:channel:3", "[2001:db8::1]"],
    ["https://user@db.example.com:channel:1", "db.example.com"],
    ["db.example.com:channel:1", null],
    ["", null],
  ])("%p → %p", (iss, host) => {
    expect(issuerHost(iss)).toBe(host);
  });
});

describe("issuer patterns", () => {
  test.each([
    ["db.example.com", "db.example.com"],
    ["*.EU.example.com", "*.eu.example.com"],
    ["localhost", "localhost"],
    ["*.", null],
    ["a.*.com", null],
    ["db example", null],
    ["", null],
  ])("%p → %p", (text, pattern) => {
    expect(normaliseIssuerPattern(text)).toBe(pattern);
  });

  const rules = [
    { pattern: "*.example.com", region: "us-east" },
    { pattern: "*.eu.example.com", region: "eu-west" },
    { pattern: "special.eu.example.com", region: "local" },
  ];
  test.each([
    ["a.eu.example.com", "eu-west"],
    ["x.y.eu.example.com", "eu-west"],
    ["special.eu.example.com", "local"],
    ["shop.example.com", "us-east"],
    ["example.com", null],
    ["eu.example.com", "us-east"],
    ["notexample.com", null],
  ])("%p → %p (exact first, then the longest domain)", (host, region) => {
    expect(regionOfIssuerHost(rules, host)).toBe(region);
  });
});

describe("precedence: region > country > issuer rule > address rule > default > none", () => {
  const problems: string[] = [];
  const rules = readRouting(
    { default_region: "local", by_address: { "10.1.0.0/16": "us-east" }, by_issuer: { "*.eu.example.com": "eu-west" } },
    "test: routing",
    problems,
  );
  const plans = buildPlans(nodes("eu-west", "us-east", "local", "ap-south"));
  const hint = (query: { region?: string; country?: string }, iss: string, peer: string) => {
    const found = resolveHint(plans, rules, query, iss, peer);
    return found === null ? null : `${found.region} (${found.source})`;
  };
  const EU_ISS = "https://a.eu.example.com:channel:1";
  const OTHER_ISS = "https://shop.example.org:channel:1";

  test("the rules are valid", () => expect(problems).toEqual([]));
  test.each([
    [{ region: "ap-south", country: "US" }, EU_ISS, "10.1.0.5", "ap-south (region)"],
    [{ country: "IN" }, EU_ISS, "10.1.0.5", "ap-south (country)"],
    [{ region: "atlantis", country: "IN" }, EU_ISS, "10.1.0.5", "ap-south (country)"],
    [{}, EU_ISS, "10.1.0.5", "eu-west (issuer)"],
    [{ region: "atlantis" }, EU_ISS, "10.1.0.5", "eu-west (issuer)"],
    [{ country: "ZZ" }, OTHER_ISS, "10.1.0.5", "us-east (address)"],
    [{}, OTHER_ISS, "::ffff:10.1.200.1", "us-east (address)"],
    [{}, OTHER_ISS, "192.0.2.1", "local (default)"],
  ] as const)("%p, %s from %s → %s", (query, iss, peer, expected) => {
    expect(hint(query, iss, peer)).toBe(expected);
  });

  test("without rules nothing applies", () => {
    expect(callerRegion({ defaultRegion: null, byAddress: [], byIssuer: [] }, EU_ISS, "10.1.0.5")).toBeNull();
  });
});

describe("readRouting", () => {
  const problemsOf = (raw: unknown) => {
    const problems: string[] = [];
    readRouting(raw, "secrets.toml: routing", problems);
    return problems.join("\n");
  };
  test.each([
    [[], "expected a table"],
    [{ regions: {} }, 'unknown setting "regions"'],
    [{ default_region: "" }, "default_region: the region must be a non-empty name"],
    [{ by_address: { "10.0.0.1/8": "eu-west" } }, 'by_address."10.0.0.1/8": "10.0.0.1/8" has bits set'],
    [{ by_address: { "10.0.0.0/8": "eu-west", "10.0.0.0/08": "us-east" } }, "listed twice"],
    [{ by_address: { "10.0.0.0/8": 5 } }, "the region must be a non-empty name"],
    [{ by_address: ["10.0.0.0/8"] }, 'by_address: expected a table of "range" = "region"'],
    [{ by_issuer: { "a b": "eu-west" } }, 'by_issuer."a b": expected a host name'],
  ])("%p → %s", (raw, message) => {
    expect(problemsOf(raw)).toContain(message);
  });
});
