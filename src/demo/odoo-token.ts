/**
 * Tokens made the way Odoo makes them (odoo/odoo addons/mail/tools/jwt.py): header
 * `{"typ": "JWT", "alg": "HS256"}` serialised by Python's json.dumps (", " and ": " separators),
 * claims in insertion order, unpadded base64url segments, HMAC-SHA256 with the base64-decoded key.
 * Used by the demo to print a ready-to-paste request, and by the tests as Odoo's stand-in.
 */

/** json.dumps(value) with Python's default separators, for the JSON values Odoo puts in tokens. */
export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value)
      .map(([name, item]) => `${JSON.stringify(name)}: ${pythonJson(item)}`)
      .join(", ")}}`;
  }
  return JSON.stringify(value);
}

const segment = (text: string) => Buffer.from(text, "utf8").toString("base64url");

/** Odoo's `sign(claims, key, ttl)`: `exp` = now + ttl is appended after the given claims. */
export function odooToken(claims: Readonly<Record<string, unknown>>, base64Key: string, ttlSeconds: number): string {
  const key = Buffer.from(`${base64Key.replace(/=+$/, "")}==`.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  const payload = { ...claims, exp: Math.floor(Date.now() / 1000) + ttlSeconds };
  const input = `${segment(pythonJson({ typ: "JWT", alg: "HS256" }))}.${segment(pythonJson(payload))}`;
  return `${input}.${new Bun.CryptoHasher("sha256", key).update(input).digest("base64url")}`;
}
