import { describe, expect, test } from "bun:test";
import { callerAddress, forwardedFor, plainAddress } from "../../src/upstream/forwarded-for.ts";

describe("forwardedFor", () => {
  test.each([
    // peer, incoming header, trust proxy, expected
    ["10.0.0.5", null, false, "10.0.0.5"],
    ["10.0.0.5", "1.2.3.4", false, "10.0.0.5"],
    ["::ffff:10.0.0.5", "1.2.3.4", false, "10.0.0.5"],
    ["10.0.0.9", "203.0.113.7", true, "203.0.113.7, 10.0.0.9"],
    ["10.0.0.9", "203.0.113.7, 10.0.0.1", true, "203.0.113.7, 10.0.0.1, 10.0.0.9"],
    ["10.0.0.9", null, true, "10.0.0.9"],
    ["10.0.0.9", "  ", true, "10.0.0.9"],
    ["2001:db8::1", null, false, "2001:db8::1"],
  ] as const)("peer %s, incoming %p, trust %p → %s", (peer, incoming, trust, expected) => {
    expect(forwardedFor(peer, incoming, trust)).toBe(expected);
  });

  test("plainAddress only unwraps IPv4-mapped addresses", () => {
    expect(plainAddress("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(plainAddress("::ffff:abcd")).toBe("::ffff:abcd");
    expect(plainAddress("::1")).toBe("::1");
  });
});

describe("callerAddress (what the caller-address rules match)", () => {
  test.each([
    ["10.0.0.5", null, false, "10.0.0.5"],
    ["10.0.0.5", "203.0.113.7", false, "10.0.0.5"],
    ["::ffff:10.0.0.5", null, false, "10.0.0.5"],
    // Behind a trusted proxy: the address that proxy appended, not what the client claims first.
    ["10.0.0.9", "203.0.113.7", true, "203.0.113.7"],
    ["10.0.0.9", "6.6.6.6, 203.0.113.7", true, "203.0.113.7"],
    ["10.0.0.9", "6.6.6.6, ::ffff:10.1.2.3 ", true, "10.1.2.3"],
    ["10.0.0.9", "", true, "10.0.0.9"],
    ["10.0.0.9", null, true, "10.0.0.9"],
  ] as const)("peer %s, incoming %p, trust %p → %s", (peer, incoming, trust, expected) => {
    expect(callerAddress(peer, incoming, trust)).toBe(expected);
  });
});
