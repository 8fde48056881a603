/** The admin API's key check: `Authorization: Bearer <SFU_GATEWAY_ADMIN_KEY>`, compared in constant time. */
import { equalBytes } from "../auth/constant-time.ts";
import { jsonError } from "./errors.ts";

const digest = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest();

/** A checker for one admin key (null: the admin API is off). Returns null when allowed, else the refusal. */
export function adminGuard(adminKey: string | null): (request: Request) => Response | null {
  const expected = adminKey === null ? null : digest(adminKey);
  return (request) => {
    if (expected === null) return jsonError(404, "the admin API is off: set SFU_GATEWAY_ADMIN_KEY to turn it on");
    const authorization = request.headers.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    // Hashing first makes the comparison constant-time whatever the lengths.
    if (match === null || !equalBytes(digest(match[1]!), expected)) {
      return jsonError(401, "admin key required: Authorization: Bearer <SFU_GATEWAY_ADMIN_KEY>", undefined, { "www-authenticate": 'Bearer realm="sfu-gateway admin"' });
    }
    return null;
  };
}
