/**
 * A retry budget (Finagle's and Envoy's idea): retries may add at most `percent` % to the requests
 * of the last 10 s, plus `minPerSecond` that are always allowed, so that a fleet-wide outage does
 * not multiply the load on what is left.
 */

const BUCKETS = 10;
const BUCKET_MS = 1000;

export class RetryBudget {
  readonly #requests = new Float64Array(BUCKETS);
  readonly #retries = new Float64Array(BUCKETS);
  #bucketStart = 0;
  #bucket = 0;
  #percent: number;
  #minPerSecond: number;

  constructor(percent: number, minPerSecond: number) {
    this.#percent = percent;
    this.#minPerSecond = minPerSecond;
  }

  configure(percent: number, minPerSecond: number): void {
    this.#percent = percent;
    this.#minPerSecond = minPerSecond;
  }

  #advance(now: number): void {
    if (this.#bucketStart === 0) this.#bucketStart = now;
    let steps = Math.floor((now - this.#bucketStart) / BUCKET_MS);
    if (steps <= 0) return;
    this.#bucketStart += steps * BUCKET_MS;
    for (steps = Math.min(steps, BUCKETS); steps > 0; steps--) {
      this.#bucket = (this.#bucket + 1) % BUCKETS;
      this.#requests[this.#bucket] = 0;
      this.#retries[this.#bucket] = 0;
    }
  }

  /** Counts a request (its first attempt). */
  recordRequest(now = Date.now()): void {
    this.#advance(now);
    this.#requests[this.#bucket]!++;
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryRetry(now = Date.now()): boolean {
    this.#advance(now);
    let requests = 0;
    let retries = 0;
    for (let i = 0; i < BUCKETS; i++) {
      requests += this.#requests[i]!;
      retries += this.#retries[i]!;
    }
    const allowed = (requests * this.#percent) / 100 + this.#minPerSecond * BUCKETS;
    if (retries + 1 > allowed) return false;
    this.#retries[this.#bucket]!++;
    return true;
  }
}
