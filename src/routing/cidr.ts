/**
 * IP address ranges (CIDR) and the caller-address rule that maps a range to a region.
 * IPv4 and IPv6; an IPv4-mapped IPv6 address (`::ffff:10.0.0.5`, as Bun reports IPv4 peers on a
 * dual-stack socket) matches IPv4 ranges.
 */

export interface Cidr {
  /** The range as written, normalised (`10.1.0.0/16`). */
  readonly text: string;
  readonly family: 4 | 6;
  /** Network address as a 128-bit (IPv6) or 32-bit (IPv4) number. */
  readonly network: bigint;
  readonly prefix: number;
}

export interface AddressRule {
  readonly cidr: Cidr;
  readonly region: string;
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || (part.length > 1 && part.startsWith("0"))) return null;
    const byte = Number(part);
    if (byte > 255) return null;
    value = (value << 8n) | BigInt(byte);
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  let body = text;
  // An embedded IPv4 tail (`::ffff:1.2.3.4`) stands for the last two groups.
  const lastColon = body.lastIndexOf(":");
  if (body.includes(".", lastColon)) {
    const v4 = parseIpv4(body.slice(lastColon + 1));
    if (v4 === null) return null;
    body = `${body.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groupsOf(halves[0]!);
  const rest = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const given = head.length + rest.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  let value = 0n;
  for (const group of [...head, ...Array<string>(8 - given).fill("0"), ...rest]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    value = (value << 16n) | BigInt(`0x${group}`);
  }
  return value;
}

/** An address as a number with its family, or null when it is not an IP address. IPv4-mapped IPv6 counts as IPv4. */
export function parseAddress(text: string): { family: 4 | 6; value: bigint } | null {
  const address = text.trim().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const v4 = parseIpv4(address);
  if (v4 !== null) return { family: 4, value: v4 };
  if (!address.includes(":")) return null;
  const v6 = parseIpv6(address);
  if (v6 === null) return null;
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

/** A CIDR range (`10.0.0.0/8`, `2001:db8::/32`, or a single address), or why it is not one. */
export function parseCidr(text: string): Cidr | { error: string } {
  const [addressText, prefixText, extra] = text.trim().split("/");
  if (extra !== undefined || addressText === undefined) return { error: `"${text}" is not an address range such as 10.0.0.0/8` };
  const address = parseAddress(addressText);
  if (address === null) return { error: `"${text}" is not an address range such as 10.0.0.0/8 or 2001:db8::/32` };
  const bits = address.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= bits)) return { error: `"${text}": the prefix length must be from 0 to ${bits}` };
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  const network = address.value & mask;
  if (network !== address.value) {
    return { error: `"${text}" has bits set after the /${prefix} prefix (did you mean ${format(address.family, network)}/${prefix}?)` };
  }
  return { text: `${format(address.family, network)}/${prefix}`, family: address.family, network, prefix };
}

function format(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16));
  // The longest run of two or more zero groups is written "::" (RFC 5952).
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === "0") length++;
    if (length > bestLength) [bestStart, bestLength] = [start, length];
  }
  if (bestStart < 0) return groups.join(":");
  return `${groups.slice(0, bestStart).join(":")}::${groups.slice(bestStart + bestLength).join(":")}`;
}

/** Whether the range holds the address. */
export function contains(cidr: Cidr, address: { family: 4 | 6; value: bigint }): boolean {
  if (cidr.family !== address.family) return false;
  const bits = cidr.family === 4 ? 32 : 128;
  return address.value >> BigInt(bits - cidr.prefix) === cidr.network >> BigInt(bits - cidr.prefix);
}

/** The region of the most specific rule whose range holds `address`, or null. */
export function regionOfAddress(rules: readonly AddressRule[], address: string): string | null {
  if (rules.length === 0) return null;
  const parsed = parseAddress(address);
  if (parsed === null) return null;
  let best: AddressRule | null = null;
  for (const rule of rules) {
    if (contains(rule.cidr, parsed) && (best === null || rule.cidr.prefix > best.cidr.prefix)) best = rule;
  }
  return best?.region ?? null;
}
