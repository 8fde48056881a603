/**
 * HS256 JSON Web Tokens on Bun's native keyed HMAC.
 *
 * Why not jose here: measured on Bun 1.4 (bench/RESULTS.md of the shared harness), one jose
 * `jwtVerify` plus one `SignJWT` costs about 46 µs per request against about 4 µs with
 * `Bun.CryptoHasher`, out of a whole-request budget of about 70 µs. jose stays the reference:
 * `test/unit/hs256.test.ts` proves on generated and malformed tokens that `verify` accepts exactly
 * the tokens jose's `jwtVerify(token, key, { algorithms: ["HS256"], requiredClaims: ["exp"] })`
 * accepts (no clock tolerance), and that jose verifies every token `sign` makes.
 *
 * To keep that equivalence by construction, segments are decoded as jose decodes them on Bun
 * (`Uint8Array.fromBase64` with the base64url alphabet, a fatal UTF-8 decoder, `JSON.parse`), and the
 * header rules (`alg`, `crit`, `b64`) and claim rules (`exp` required, `nbf`, `iat`, no leeway) are
 * jose's. The signature is compared in constant time.
 */
// Not node:crypto's timingSafeEqual: loading node:crypto costs milliseconds of start-up.
import { equalBytes } from "./constant-time.ts";

/** Why a token was refused. Messages are safe to show: they never contain the token or a key. */
export type Refusal =
  | "malformed token"
  | "token algorithm must be HS256"
  | "invalid token signature"
  | "token has no exp claim"
  | "token claims have the wrong type"
  | "token expired"
  | "token not valid yet (nbf)";

export interface Verified {
  /** Every claim of the token, as sent. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The claims exactly as received (same bytes), as canonical unpadded base64url: what `sign` takes. */
  readonly payload: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const HEADER_CACHE_LIMIT = 64;

/** The header every re-signed token carries. */
const SIGNED_HEADER = encodeSegment(new TextEncoder().encode('{"alg":"HS256","typ":"JWT"}'));

function encodeSegment(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

function decodeSegment(segment: string): Uint8Array | null {
  try {
    return Uint8Array.fromBase64(segment, { alphabet: "base64url" });
  } catch {
    return null;
  }
}

/** A JSON object (not array, not null) from a base64url segment, or null. */
function decodeJsonObject(segment: string): Record<string, unknown> | null {
  const bytes = decodeSegment(segment);
  if (bytes === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return null;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** null when a decoded JOSE header is acceptable for an HS256 JWT, else why not. */
export function checkHeader(header: Record<string, unknown>): Refusal | null {
  const { crit, alg } = header;
  let b64 = true;
  if (crit !== undefined) {
    if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => typeof name !== "string" || name === "")) {
      return "malformed token";
    }
    // "b64" (RFC 7797) is the only extension jose recognises; it must then be a boolean in the header.
    if (crit.some((name) => name !== "b64") || !Object.hasOwn(header, "b64")) return "malformed token";
    if (typeof header.b64 !== "boolean") return "malformed token";
    b64 = header.b64;
  }
  if (typeof alg !== "string" || alg === "") return "malformed token";
  if (alg !== "HS256") return "token algorithm must be HS256";
  // An unencoded payload is not a JWT.
  return b64 ? null : "malformed token";
}

/** Checks claims as jose does with `requiredClaims: ["exp"]` and no clock tolerance. */
export function checkClaims(claims: Record<string, unknown>, nowSeconds: number): Refusal | null {
  if (!Object.hasOwn(claims, "exp")) return "token has no exp claim";
  const { iat, nbf, exp } = claims;
  if (iat !== undefined && typeof iat !== "number") return "token claims have the wrong type";
  if (nbf !== undefined && typeof nbf !== "number") return "token claims have the wrong type";
  if (typeof exp !== "number") return "token claims have the wrong type";
  if (nbf !== undefined && (nbf as number) > nowSeconds) return "token not valid yet (nbf)";
  if (exp <= nowSeconds) return "token expired";
  return null;
}

/** Verifies tokens signed with any of a fixed set of keys. Keys are imported once. */
export class Hs256Verifier {
  readonly #hmacs: Bun.CryptoHasher[];
  /** Header segment → refusal (or null): headers repeat from call to call, parsing them once is enough. */
  readonly #headers = new Map<string, Refusal | null>();

  constructor(keys: readonly Uint8Array[]) {
    if (keys.length === 0) throw new Error("Hs256Verifier needs at least one key");
    this.#hmacs = keys.map((key) => new Bun.CryptoHasher("sha256", key));
  }

  /** The verified token, or why it is refused. `nowSeconds` defaults to the current time. */
  verify(token: string, nowSeconds = Math.floor(Date.now() / 1000)): Verified | Refusal {
    const first = token.indexOf(".");
    const second = first < 0 ? -1 : token.indexOf(".", first + 1);
    if (second < 0 || token.indexOf(".", second + 1) >= 0) return "malformed token";
    const headerSegment = token.slice(0, first);
    const headerRefusal = this.#header(headerSegment);
    if (headerRefusal !== null) return headerRefusal;

    const signature = decodeSegment(token.slice(second + 1));
    if (signature === null) return "malformed token";
    const signingInput = token.slice(0, second);
    if (!this.#matches(signingInput, signature)) return "invalid token signature";

    const payloadBytes = decodeSegment(token.slice(first + 1, second));
    if (payloadBytes === null) return "malformed token";
    let claims: unknown;
    try {
      claims = JSON.parse(utf8.decode(payloadBytes));
    } catch {
      return "malformed token";
    }
    if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return "malformed token";
    const claimsRefusal = checkClaims(claims as Record<string, unknown>, nowSeconds);
    if (claimsRefusal !== null) return claimsRefusal;
    return { claims: claims as Record<string, unknown>, payload: encodeSegment(payloadBytes) };
  }

  #header(segment: string): Refusal | null {
    const cached = this.#headers.get(segment);
    if (cached !== undefined) return cached;
    const header = decodeJsonObject(segment);
    const refusal = header === null ? "malformed token" : checkHeader(header);
    if (this.#headers.size >= HEADER_CACHE_LIMIT) this.#headers.clear();
    this.#headers.set(segment, refusal);
    return refusal;
  }

  #matches(signingInput: string, signature: Uint8Array): boolean {
    // A non-ASCII signing input cannot match (jose refuses it); its payload fails to decode anyway.
    if (signature.length !== 32) return false;
    let match = false;
    for (const hmac of this.#hmacs) {
      const expected = hmac.copy().update(signingInput).digest();
      // Every key is tried, so the time taken does not tell which key matched.
      match = equalBytes(expected, signature) || match;
    }
    return match;
  }
}

/** Signs claims for one SFU with its key (imported once). */
export class Hs256Signer {
  readonly #hmac: Bun.CryptoHasher;

  constructor(key: Uint8Array) {
    this.#hmac = new Bun.CryptoHasher("sha256", key);
  }

  /** A compact HS256 JWT carrying `payload` (a canonical base64url segment, see Verified.payload). */
  sign(payload: string): string {
    const input = `${SIGNED_HEADER}.${payload}`;
    return `${input}.${this.#hmac.copy().update(input).digest("base64url")}`;
  }

  /** A compact HS256 JWT carrying these claims. */
  signClaims(claims: Readonly<Record<string, unknown>>): string {
    return this.sign(encodeSegment(new TextEncoder().encode(JSON.stringify(claims))));
  }
}
