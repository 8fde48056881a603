/**
 * Odoo's side of /v1/channel: tokens as Odoo's three code variants make them (protocol.md §1.2, §2)
 * and the request as `_join_sfu` sends it.
 */
import { randomUUID } from "node:crypto";
import { odooToken } from "../../src/demo/odoo-token.ts";

export { odooToken };

/** Claims of the variant: A (legacy, iss only), B (sfu_local_key), C (derived per-channel key). */
/** A channel id no other test request uses, so that each request is a new issuer unless a test says otherwise. */
let nextChannelId = 1000;
export const freshChannelId = () => nextChannelId++;

export function odooClaims(variant: "A" | "B" | "C", channelId = freshChannelId()): Record<string, unknown> {
  const iss = `https://db.example.com:channel:${channelId}`;
  if (variant === "A") return { iss };
  if (variant === "B") return { iss, key: randomUUID() };
  return { iss, key: Buffer.from(randomUUID()).toString("base64url") };
}

/** The Authorization header each variant sends. */
export const schemeOf = (variant: "A" | "B" | "C") => (variant === "C" ? "Bearer" : "jwt");

/** GET /v1/channel as Odoo sends it (30 s token ttl). */
export function askChannel(
  gatewayUrl: string,
  gatewayKey: string,
  options: { variant?: "A" | "B" | "C"; query?: string; claims?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Promise<Response> {
  const variant = options.variant ?? "B";
  const token = odooToken(options.claims ?? odooClaims(variant), gatewayKey, 30);
  const query = options.query === undefined || options.query === "" ? "" : `?${options.query}`;
  return fetch(`${gatewayUrl}/v1/channel${query}`, {
    headers: { authorization: `${schemeOf(variant)} ${token}`, ...options.headers },
  });
}
