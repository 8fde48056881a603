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
  /** Channels granted since the last load report. */
  provisionalChannels = 0;

  constructor(node: SfuNode, now: number) {
    this.node = node;
    this.signer = new Hs256Signer(node.key);
    this.health = initialHealth(now);
  }

  get address(): string {
    return this.node.address;
  }

  /** Whether new channels may go here: up and not draining. */
  get usable(): boolean {
    return this.health.state === "up" && !this.draining;
  }
}
