/**
 * Abort signals for deadlines, shared between requests that start close together.
 *
 * `AbortSignal.timeout()` arms one timer per request; at thousands of requests a second those timers
 * (each alive for the whole deadline) cost measurable CPU and memory. Here requests starting within
 * the same `granularityMs` window share one signal armed when the window opened: a request may get
 * up to `granularityMs` less than its deadline, never more.
 */

export class DeadlineSignals {
  readonly #granularityMs: number;
  /** Deadline (quantised) → the window currently open for it. */
  readonly #open = new Map<number, { readonly closesAt: number; readonly signal: AbortSignal }>();

  constructor(granularityMs = 10) {
    this.#granularityMs = granularityMs;
  }

  /** A signal that aborts with a TimeoutError at most `deadlineMs` from now (and at least `deadlineMs - granularityMs`). */
  within(deadlineMs: number): AbortSignal {
    const now = performance.now();
    const window = this.#open.get(deadlineMs);
    if (window !== undefined && now < window.closesAt) return window.signal;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      controller.abort(new DOMException(`deadline of ${deadlineMs} ms passed`, "TimeoutError"));
    }, deadlineMs);
    // A pending deadline must not keep a stopping process alive.
    timer.unref();
    this.#open.set(deadlineMs, { closesAt: now + this.#granularityMs, signal: controller.signal });
    return controller.signal;
  }
}
