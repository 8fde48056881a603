/** Comparing secrets without telling, by the time taken, where they differ. */

/**
 * Whether two byte arrays are equal, in a time that depends on their length only (every byte is
 * looked at, whatever differs). Arrays of different lengths are unequal at once: callers compare
 * fixed-size digests.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
