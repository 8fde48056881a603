/**
 * Request coalescing: concurrent requests with the same key share one upstream call and all get its
 * result (the channel handler keys them by caller and issuer).
 * Closes the race in which two joins of one Odoo call, arriving together, would create two channels
 * (the SFU awaits its media router between looking a channel up and storing it).
 */
export class Coalescer<T> {
  readonly #inflight = new Map<string, Promise<T>>();

  /** Runs `work` for `key`, or joins the run already in flight for it. */
  run(key: string, work: () => Promise<T>): { readonly result: Promise<T>; readonly joined: boolean } {
    const running = this.#inflight.get(key);
    if (running !== undefined) return { result: running, joined: true };
    const result = work().finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, result);
    return { result, joined: false };
  }

  get size(): number {
    return this.#inflight.size;
  }
}
