/**
 * Issuer affinity: the SFU that created an issuer's channel, remembered so that every later
 * request for the same Odoo call (same `iss`) goes there too, as long as that SFU stays usable.
 * The SFU makes channel creation idempotent per (caller, iss) only on itself; across several SFUs
 * this pin is what keeps one call from being split in two.
 *
 * A pin lives `ttlMs` after its last use (the SFU's channel lifetime). At most `maxPins` are kept,
 * the least recently used going first (a batch of them at a time, see #evict); expired ones are
 * dropped as they are met.
 */

interface Pin {
  readonly address: string;
  expires: number;
  /** When the pin last moved to the most recent end of the map. */
  placed: number;
}

export const DEFAULT_MAX_PINS = 200_000;

export class Affinity {
  readonly #pins = new Map<string, Pin>();
  #ttlMs: number;
  readonly #maxPins: number;

  constructor(ttlMs: number, maxPins = DEFAULT_MAX_PINS) {
    this.#ttlMs = ttlMs;
    this.#maxPins = maxPins;
  }

  set ttlMs(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  get size(): number {
    return this.#pins.size;
  }

  /** The address `iss` is pinned to, or null. */
  get(iss: string, now = Date.now()): string | null {
    const pin = this.#pins.get(iss);
    if (pin === undefined) return null;
    if (pin.expires <= now) {
      this.#pins.delete(iss);
      return null;
    }
    return pin.address;
  }

  /**
   * Pins (or re-pins) `iss` to `address` for another ttl. A pin used again to the same address is
   * renewed in place, and moved to the most recent end (a map delete and insert) only when its last
   * move is older than an eighth of the ttl: the order of eviction stays that of last use to within
   * that, and a busy issuer costs no map writes.
   */
  pin(iss: string, address: string, now = Date.now()): void {
    const ttl = this.#ttlMs;
    if (ttl === 0) return;
    const pin = this.#pins.get(iss);
    if (pin !== undefined && pin.address === address && now - pin.placed < ttl / 8) {
      pin.expires = now + ttl;
      return;
    }
    if (pin !== undefined) this.#pins.delete(iss);
    this.#pins.set(iss, { address, expires: now + ttl, placed: now });
    if (this.#pins.size > this.#maxPins) this.#evict();
  }

  /**
   * Drops the least recently used pins, 1/64 of `maxPins` at once. Reaching the oldest entry of a
   * Map walks over the entries deleted before it (JSC keeps them until it rehashes): one walk per new
   * pin, once the map is full, cost more with every pin (50 to 300 µs per pin at 200 000 pins); one walk
   * per batch keeps a pin well under a µs (bench/selection.ts).
   */
  #evict(): void {
    let drop = this.#pins.size - this.#maxPins + Math.max(0, Math.floor(this.#maxPins / 64) - 1);
    for (const iss of this.#pins.keys()) {
      if (drop-- <= 0) break;
      this.#pins.delete(iss);
    }
  }

  /** How many live pins each address holds. */
  countByAddress(now = Date.now()): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [iss, pin] of this.#pins) {
      if (pin.expires <= now) this.#pins.delete(iss);
      else counts.set(pin.address, (counts.get(pin.address) ?? 0) + 1);
    }
    return counts;
  }
}
