/**
 * Base64 keys as Odoo and the SFU write them.
 *
 * Odoo decodes its key with `urlsafe_b64decode(key.rstrip("=") + "==")` and the SFU with
 * `Buffer.from(key, "base64")`: both alphabets decode, padding is optional. The gateway accepts the
 * same spellings, but unlike them it refuses a key that is not base64 at all instead of silently
 * dropping characters, so a pasted key with a typo is caught at start-up and not at the first call.
 */

/** The smallest key size HMAC-SHA256 deserves; shorter keys are accepted with a warning. */
export const RECOMMENDED_KEY_BYTES = 32;

export class KeyError extends Error {}

const BASE64_BODY = /^[A-Za-z0-9+/\-_]*$/;

/**
 * Decodes a key written in standard or url-safe base64, padded or not.
 * Surrounding whitespace is ignored. Throws KeyError with a reason when the text is not base64.
 */
export function decodeBase64Key(text: string): Uint8Array {
  const trimmed = text.trim();
  const body = trimmed.replace(/=+$/, "");
  if (body.length === 0) throw new KeyError("is empty");
  if (!BASE64_BODY.test(body)) throw new KeyError("is not base64: it holds characters outside both base64 alphabets");
  if (body.length % 4 === 1) throw new KeyError("is not base64: its length is not possible for base64 text");
  const padding = trimmed.length - body.length;
  if (padding > 0 && (body.length + padding) % 4 !== 0) throw new KeyError("is not base64: its '=' padding is wrong");
  const standard = body.replace(/-/g, "+").replace(/_/g, "/");
  return new Uint8Array(Buffer.from(standard, "base64"));
}

/** A warning for keys shorter than recommended, or null. `what` names the key, as in "SFU_GATEWAY_KEY". */
export function shortKeyWarning(what: string, key: Uint8Array): string | null {
  if (key.length >= RECOMMENDED_KEY_BYTES) return null;
  return `${what} is ${key.length} bytes long; use at least ${RECOMMENDED_KEY_BYTES} random bytes (for example: openssl rand -base64 32)`;
}
