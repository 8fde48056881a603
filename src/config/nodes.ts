/**
 * The fleet document, from the parsed `SFU_GATEWAY_NODES` JSON or secrets TOML:
 * `{ sfu: [{ address, region?, key, capacity?, weight? }], routing?: {...} }`.
 */
import { decodeBase64Key, KeyError, shortKeyWarning } from "./keys.ts";
import { EMPTY_ROUTING, readRouting } from "./routing.ts";
import type { RoutingRules, SfuNode } from "./types.ts";

export interface NodesResult {
  readonly sfus: SfuNode[];
  readonly routing: RoutingRules;
  readonly problems: string[];
  readonly warnings: string[];
}

const ENTRY_FIELDS = new Set(["address", "region", "key", "capacity", "weight"]);
const TOP_LEVEL_FIELDS = new Set(["sfu", "routing"]);

/**
 * Validates the SFU list. `where(i)` names entry i for messages (for example `secrets.toml line 7, [[sfu]] #2`);
 * `origin` names the whole document. Every problem found is reported, not only the first.
 */
export function readNodes(raw: unknown, origin: string, where: (index: number) => string): NodesResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  const sfus: SfuNode[] = [];
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { sfus, routing: EMPTY_ROUTING, warnings, problems: [`${origin}: expected an object with an "sfu" list`] };
  }
  for (const name of Object.keys(raw)) {
    if (!TOP_LEVEL_FIELDS.has(name)) problems.push(`${origin}: unknown setting "${name}" (expected "sfu" or "routing")`);
  }
  const routing = readRouting((raw as Record<string, unknown>).routing, `${origin}: routing`, problems);
  const list = (raw as Record<string, unknown>).sfu ?? [];
  if (!Array.isArray(list)) {
    problems.push(`${origin}: "sfu" must be a list of SFU entries ([[sfu]] tables in TOML)`);
    return { sfus, routing, warnings, problems };
  }
  const seen = new Map<string, number>();
  list.forEach((entry: unknown, index: number) => {
    const at = where(index);
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      problems.push(`${at}: expected a table with address, key and optional region, capacity, weight`);
      return;
    }
    const fields = entry as Record<string, unknown>;
    const before = problems.length;
    for (const name of Object.keys(fields)) {
      if (!ENTRY_FIELDS.has(name)) problems.push(`${at}: unknown field "${name}" (expected address, region, key, capacity, weight)`);
    }
    const address = readAddress(fields.address, at, problems);
    const region = readRegion(fields.region, at, problems);
    const key = readKey(fields.key, at, problems, warnings);
    const capacity = readPositive(fields.capacity, "capacity", true, at, problems);
    const weight = readPositive(fields.weight, "weight", false, at, problems) ?? 1;
    if (address !== undefined) {
      const first = seen.get(address);
      if (first !== undefined) problems.push(`${at}: address ${address} is already used by ${where(first)}`);
      else seen.set(address, index);
    }
    if (problems.length === before && address !== undefined && region !== undefined && key !== undefined) {
      sfus.push({ index: sfus.length, address, region, key, channelUrl: `${address}/v1/channel`, capacity, weight });
    }
  });
  return { sfus, routing, problems, warnings };
}

/** A positive number (a whole one when `whole`), null when absent. */
function readPositive(value: unknown, name: string, whole: boolean, at: string, problems: string[]): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || (whole && !Number.isSafeInteger(value))) {
    problems.push(`${at}: "${name}" must be a positive ${whole ? "whole number (sessions)" : "number"}`);
    return null;
  }
  return value;
}

/** An http(s) base URL without query, fragment or credentials; the trailing slash is dropped. */
export function normaliseAddress(text: string): string | { error: string } {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { error: `address "${text}" is not a URL (expected for example http://10.0.0.5:8070)` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { error: `address "${text}" must start with http:// or https://` };
  }
  if (url.username !== "" || url.password !== "") return { error: `address "${url.host}" must not hold credentials` };
  if (url.search !== "" || url.hash !== "") return { error: `address "${text}" must not have a query or fragment` };
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

function readAddress(value: unknown, at: string, problems: string[]): string | undefined {
  if (value === undefined) return void problems.push(`${at}: missing "address"`);
  if (typeof value !== "string") return void problems.push(`${at}: "address" must be a string`);
  const normalised = normaliseAddress(value);
  if (typeof normalised !== "string") return void problems.push(`${at}: ${normalised.error}`);
  return normalised;
}

function readRegion(value: unknown, at: string, problems: string[]): string | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") return void problems.push(`${at}: "region" must be a string`);
  if (value.trim() === "" || value.trim() !== value) {
    return void problems.push(`${at}: "region" must be a non-empty name without surrounding spaces`);
  }
  return value;
}

function readKey(value: unknown, at: string, problems: string[], warnings: string[]): Uint8Array | undefined {
  if (value === undefined) return void problems.push(`${at}: missing "key" (the SFU's AUTH_KEY, base64)`);
  if (typeof value !== "string") return void problems.push(`${at}: "key" must be a base64 string`);
  try {
    const key = decodeBase64Key(value);
    const warning = shortKeyWarning(`${at}: key`, key);
    if (warning !== null) warnings.push(warning);
    return key;
  } catch (error) {
    if (error instanceof KeyError) return void problems.push(`${at}: key ${error.message}`);
    throw error;
  }
}
