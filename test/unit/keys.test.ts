import { describe, expect, test } from "bun:test";
import { decodeBase64Key, KeyError, shortKeyWarning } from "../../src/config/keys.ts";

const bytes = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 250) % 256);
const standard = Buffer.from(bytes).toString("base64"); // has '+' or '/' and '=' padding
const urlSafe = Buffer.from(bytes).toString("base64url");

describe("decodeBase64Key", () => {
  test.each([
    ["standard, padded", standard],
    ["standard, unpadded", standard.replace(/=+$/, "")],
    ["url-safe, unpadded", urlSafe],
    ["url-safe, padded", `${urlSafe}=`],
    ["surrounding whitespace", `  ${standard}\n`],
  ])("%s decodes to the same bytes", (_, text) => {
    expect(decodeBase64Key(text)).toEqual(bytes);
  });

  test("both spellings of the test key really differ (the table above is meaningful)", () => {
    expect(standard).toMatch(/[+/]/);
    expect(urlSafe).toMatch(/[-_]/);
  });

  test("a uuid4 string (Odoo's sfu_local_key) decodes to 27 bytes, as Python and Node decode it", () => {
    const uuid = "0b6f1c2e-9a47-4d0c-8f3e-5a1b2c3d4e5f";
    const decoded = decodeBase64Key(uuid);
    expect(decoded.length).toBe(27);
    expect(Buffer.from(decoded)).toEqual(Buffer.from(uuid, "base64"));
  });

  test.each([
    ["empty", "", "is empty"],
    ["only padding", "====", "is empty"],
    ["a space inside", "abcd efgh", "outside both base64 alphabets"],
    ["a dot", "abcd.efgh", "outside both base64 alphabets"],
    ["impossible length", "abcde", "length is not possible"],
    ["wrong padding", "abcdef=", "padding is wrong"],
  ])("%s is refused", (_, text, reason) => {
    expect(() => decodeBase64Key(text)).toThrow(KeyError);
    expect(() => decodeBase64Key(text)).toThrow(reason);
  });
});

describe("shortKeyWarning", () => {
  test("warns under 32 bytes and names the key", () => {
    expect(shortKeyWarning("SFU_GATEWAY_KEY", new Uint8Array(16))).toContain("SFU_GATEWAY_KEY is 16 bytes");
    expect(shortKeyWarning("SFU_GATEWAY_KEY", new Uint8Array(32))).toBeNull();
  });
});
