import { describe, expect, test } from "bun:test";
import { type AddressRule, parseAddress, parseCidr, regionOfAddress } from "../../src/routing/cidr.ts";

describe("parseCidr", () => {
  test.each([
    ["10.0.0.0/8", "10.0.0.0/8"],
    [" 192.168.1.0/24 ", "192.168.1.0/24"],
    ["10.1.2.3", "10.1.2.3/32"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["2001:db8::/32", "2001:db8::/32"],
    ["2001:DB8:0:0:0:0:0:0/32", "2001:db8::/32"],
    ["::1", "::1/128"],
    ["::/0", "::/0"],
    ["fe80:0:0:0:1::/80", "fe80::1:0:0:0/80"],
  ])("%p → %p", (text, normalised) => {
    const cidr = parseCidr(text);
    expect("error" in cidr ? cidr.error : cidr.text).toBe(normalised);
  });

  test.each([
    ["10.0.0.0/33", "prefix length must be from 0 to 32"],
    ["10.0.0.1/8", "did you mean 10.0.0.0/8"],
    ["fe80::1:0:0:0/64", "did you mean fe80::/64"],
    ["10.0.0/8", "is not an address range"],
    ["256.0.0.0/8", "is not an address range"],
    ["010.0.0.0/8", "is not an address range"],
    ["example.com/8", "is not an address range"],
    ["2001:db8::/129", "from 0 to 128"],
    ["2001:db8:::1/64", "is not an address range"],
    ["1:2:3:4:5:6:7:8:9/64", "is not an address range"],
    ["10.0.0.0/8/8", "is not an address range"],
    ["10.0.0.0/x", "prefix length"],
  ])("%p is refused (%s)", (text, message) => {
    const cidr = parseCidr(text);
    expect("error" in cidr ? cidr.error : "accepted").toContain(message);
  });
});

describe("parseAddress", () => {
  test.each([
    ["127.0.0.1", 4],
    ["::ffff:10.1.2.3", 4],
    ["::FFFF:10.1.2.3", 4],
    ["::1", 6],
    ["[2001:db8::1]", 6],
    ["fe80::1%eth0", 6],
    ["nonsense", null],
    ["", null],
  ])("%p → family %p", (text, family) => {
    expect(parseAddress(text)?.family ?? null).toBe(family as 4 | 6 | null);
  });

  test("an IPv4-mapped IPv6 address is the IPv4 address", () => {
    expect(parseAddress("::ffff:10.1.2.3")).toEqual(parseAddress("10.1.2.3")!);
  });
});

describe("regionOfAddress", () => {
  const rule = (text: string, region: string): AddressRule => {
    const cidr = parseCidr(text);
    if ("error" in cidr) throw new Error(cidr.error);
    return { cidr, region };
  };
  const rules = [rule("10.0.0.0/8", "eu-west"), rule("10.2.0.0/16", "us-east"), rule("10.2.3.4/32", "local"), rule("2001:db8::/32", "ap-south")];

  test.each([
    ["10.1.1.1", "eu-west"],
    ["10.2.1.1", "us-east"],
    ["10.2.3.4", "local"],
    ["::ffff:10.2.3.4", "local"],
    ["11.0.0.1", null],
    ["2001:db8:1::5", "ap-south"],
    ["2001:db9::5", null],
    ["not-an-ip", null],
  ])("%p → %p (the longest prefix wins)", (address, region) => {
    expect(regionOfAddress(rules, address)).toBe(region);
  });
});
