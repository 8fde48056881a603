/**
 * Active checks, off the request path: every SFU is probed with GET /v1/noop on an interval, and,
 * for the least-loaded strategy, its GET /v1/stats is polled. One chain of timers per SFU, never
 * overlapping; a reload retargets the monitor to the new fleet without restarting the others.
 */
import { describeTransportError } from "../upstream/sfu-call.ts";
import { USER_AGENT } from "../version.ts";
import type { Fleet } from "./fleet.ts";
import type { SfuState } from "./sfu-state.ts";
import { parseStats } from "./stats.ts";

export interface MonitorSettings {
  readonly healthIntervalMs: number;
  readonly healthTimeoutMs: number;
  /** Poll /v1/stats (least-loaded strategy). */
  readonly pollStats: boolean;
  readonly statsIntervalMs: number;
  readonly statsTimeoutMs: number;
}

interface Loops {
  probe?: ReturnType<typeof setTimeout>;
  stats?: ReturnType<typeof setTimeout>;
  stopped: boolean;
}

const HEADERS = { "user-agent": USER_AGENT } as const;

async function get(url: string, timeoutMs: number): Promise<{ ok: true; body: string } | { ok: false; error: string }> {
  try {
    const response = await fetch(url, { headers: HEADERS, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    const body = await response.text();
    if (response.status < 200 || response.status > 299) return { ok: false, error: `HTTP ${response.status}` };
    return { ok: true, body };
  } catch (error) {
    return { ok: false, error: describeTransportError(error, timeoutMs).error };
  }
}

export class Monitor {
  #fleet: Fleet;
  #settings: MonitorSettings;
  readonly #loops = new Map<SfuState, Loops>();
  #running = false;

  constructor(fleet: Fleet, settings: MonitorSettings) {
    this.#fleet = fleet;
    this.#settings = settings;
  }

  start(): void {
    this.#running = true;
    this.retarget(this.#fleet, this.#settings);
  }

  /** Follows a new fleet: loops start for new SFUs and stop for removed ones; kept SFUs keep their rhythm. */
  retarget(fleet: Fleet, settings: MonitorSettings): void {
    const statsChanged = settings.pollStats !== this.#settings.pollStats;
    this.#fleet = fleet;
    this.#settings = settings;
    if (!this.#running) return;
    const wanted = new Set(fleet.states);
    for (const [state, loops] of this.#loops) {
      if (!wanted.has(state) || statsChanged) this.#stopLoops(state, loops);
    }
    for (const state of fleet.states) {
      if (this.#loops.has(state)) continue;
      const loops: Loops = { stopped: false };
      this.#loops.set(state, loops);
      this.#probe(state, loops);
      if (settings.pollStats) this.#poll(state, loops);
    }
  }

  stop(): void {
    this.#running = false;
    for (const [state, loops] of this.#loops) this.#stopLoops(state, loops);
  }

  #stopLoops(state: SfuState, loops: Loops): void {
    loops.stopped = true;
    clearTimeout(loops.probe);
    clearTimeout(loops.stats);
    this.#loops.delete(state);
  }

  #schedule(loops: Loops, which: "probe" | "stats", delayMs: number, run: () => void): void {
    if (loops.stopped) return;
    const timer = setTimeout(run, Math.max(0, delayMs));
    timer.unref();
    loops[which] = timer;
  }

  async #probe(state: SfuState, loops: Loops): Promise<void> {
    const { healthIntervalMs, healthTimeoutMs } = this.#settings;
    const started = performance.now();
    const result = await get(`${state.address}/v1/noop`, healthTimeoutMs);
    if (loops.stopped) return;
    const ms = performance.now() - started;
    this.#fleet.recordProbe(state, {
      ok: result.ok,
      at: Date.now(),
      ms: Math.round(ms * 10) / 10,
      error: result.ok ? null : result.error,
    });
    this.#schedule(loops, "probe", healthIntervalMs - ms, () => void this.#probe(state, loops));
  }

  async #poll(state: SfuState, loops: Loops): Promise<void> {
    const { statsIntervalMs, statsTimeoutMs } = this.#settings;
    const started = performance.now();
    const result = await get(`${state.address}/v1/stats`, statsTimeoutMs);
    if (loops.stopped) return;
    const figures = result.ok ? parseStats(result.body) : result.error;
    // Reservations older than one interval stop counting either way: they must not pile up while an
    // SFU's stats cannot be read.
    if (typeof figures === "string") this.#fleet.recordStatsError(state, figures, Date.now() - statsIntervalMs);
    // A channel asked for within the last interval may not have a session in these stats yet.
    else this.#fleet.recordLoad(state, { ...figures, at: Date.now() }, statsIntervalMs);
    this.#schedule(loops, "stats", statsIntervalMs - (performance.now() - started), () => void this.#poll(state, loops));
  }
}
