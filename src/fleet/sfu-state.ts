/**
 * What the gateway knows about one SFU while it runs: health, drain, load, counters. One object per
 * address, kept across configuration reloads (see Fleet). Never holds anything secret but the
 * signer, which no status view reads.
 */
import { Hs256Signer } from "../auth/hs256.ts";
import type { SfuNode } from "../config/types.ts";
import { type Health, initialHealth } from "./health.ts";

export interface ProbeResult {
  readonly ok: boolean;
  /** When it completed (ms since the epoch). */
  readonly at: number;
  readonly ms: number;
  readonly error: string | null;
}

/** Load figures from the SFU's /v1/stats. */
export interface LoadReport {
  readonly sessions: number;
  readonly channels: number;
  /** When they were read (ms since the epoch). */
  readonly at: number;
}

export class SfuState {
  node: SfuNode;
  signer: Hs256Signer;
  health: Health;
  draining = false;
  lastProbe: ProbeResult | null = null;
  /** Channel calls sent to this SFU, and those that failed by its fault. */
  requests = 0;
  failures = 0;
  lastError: { readonly at: number; readonly message: string } | null = null;
  load: LoadReport | null = null;
  lastStatsError: string | null = null;
  /** When each channel still counted as provisional load was asked for, oldest first. */
  readonly #reservations: number[] = [];

  constructor(node: SfuNode, now: number) {
    this.node = node;
    this.signer = new Hs256Signer(node.key);
    this.health = initialHealth(now);
  }

  get address(): string {
    return this.node.address;
  }

  /** Channels asked for here that the last stats may not show yet (see reserve and settle). */
  get provisionalChannels(): number {
    return this.#reservations.length;
  }

  /** Counts a channel asked for here as load from now on, before any stats can show it. */
  reserve(now = Date.now()): void {
    this.#reservations.push(now);
  }

  /** Takes back the latest reservation: the call failed, no channel came of it. */
  release(): void {
    this.#reservations.pop();
  }

  /**
   * Drops the reservations made before `before`: stats taken after them show those channels. Later
   * ones stay counted, since a new channel reports no session until its participants connect.
   */
  settle(before: number): void {
    let kept = 0;
    while (kept < this.#reservations.length && this.#reservations[kept]! < before) kept++;
    if (kept > 0) this.#reservations.splice(0, kept);
  }

  /** Whether new channels may go here: up and not draining. */
  get usable(): boolean {
    return this.health.state === "up" && !this.draining;
  }
}
