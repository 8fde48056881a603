/**
 * The running gateway: the current configuration's runtime (verifier, fleet, selector), swapped
 * atomically by a reload, and the state that outlives configurations (affinity pins, in-flight
 * coalescing, retry budget, health monitor). A request takes the runtime once when it starts and
 * finishes on it, whatever reloads happen meanwhile.
 */
import { Hs256Verifier } from "./auth/hs256.ts";
import type { Config } from "./config/types.ts";
import { Fleet, type StateChange } from "./fleet/fleet.ts";
import { Monitor, type MonitorSettings } from "./fleet/monitor.ts";
import type { Logger } from "./log.ts";
import { Affinity } from "./routing/affinity.ts";
import { buildPlans } from "./routing/plans.ts";
import { Selector } from "./routing/selector.ts";
import { strategyFor } from "./routing/strategies/index.ts";
import { Coalescer } from "./upstream/coalesce.ts";
import { DeadlineSignals } from "./upstream/deadlines.ts";
import { RetryBudget } from "./upstream/retry-budget.ts";
import { Metrics } from "./observability/metrics.ts";

/** Everything derived from one configuration. Immutable but for the SFU states it shares. */
export interface Runtime {
  readonly config: Config;
  readonly verifier: Hs256Verifier;
  readonly fleet: Fleet;
  readonly selector: Selector;
  /** 1 for the configuration read at start, +1 per reload. */
  readonly generation: number;
  readonly loadedAt: number;
}

/** What a channel request's upstream work produced, shared by coalesced requests. */
export interface ChannelResult {
  readonly status: number;
  readonly body: string;
  /** Seconds, for a 503 with Retry-After. */
  readonly retryAfter?: number;
  readonly sfu: string | null;
  readonly attempts: number;
  readonly error: string | null;
}

export interface ReloadSummary {
  readonly generation: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly kept: readonly string[];
}

const monitorSettings = ({ config, selector }: Runtime): MonitorSettings => ({
  healthIntervalMs: config.healthIntervalMs,
  healthTimeoutMs: config.healthTimeoutMs,
  pollStats: selector.strategy.readsLoad,
  statsIntervalMs: config.statsIntervalMs,
  statsTimeoutMs: config.statsTimeoutMs,
});

export class Gateway {
  #runtime: Runtime;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly affinity: Affinity;
  readonly coalescer = new Coalescer<ChannelResult>();
  readonly budget: RetryBudget;
  readonly deadlines = new DeadlineSignals();
  readonly monitor: Monitor;
  readonly startedAt = Date.now();
  /** Set when the gateway starts stopping: readiness turns 503. */
  stopping = false;
  /** Requests being served (for a graceful stop). */
  inflight = 0;

  constructor(config: Config, log: Logger) {
    this.log = log;
    this.affinity = new Affinity(config.affinityTtlMs);
    this.budget = new RetryBudget(config.retryBudgetPercent, config.retryMinPerSecond);
    this.#runtime = this.#build(config, null, 1);
    this.monitor = new Monitor(this.#runtime.fleet, monitorSettings(this.#runtime));
    this.metrics = new Metrics({
      sfus: () => this.#runtime.fleet.states,
      generation: () => this.#runtime.generation,
      pins: () => this.affinity.countByAddress(),
      ready: () => this.readiness().ready,
      inflight: () => this.inflight,
    }, config.metrics);
  }

  get runtime(): Runtime {
    return this.#runtime;
  }

  #build(config: Config, previous: Runtime | null, generation: number): Runtime {
    const onChange = (change: StateChange) => this.#logChange(change);
    const rules = { rise: config.healthRise, fall: config.healthFall, ejectAfter: config.ejectAfter, ejectBaseMs: config.ejectBaseMs, ejectMaxMs: config.ejectMaxMs };
    const fleet = new Fleet(config.sfus, rules, onChange, previous?.fleet ?? null);
    const plans = buildPlans(config.sfus);
    const selector = new Selector(plans, strategyFor(config), fleet, previous?.selector.turns());
    return Object.freeze({ config, verifier: new Hs256Verifier(config.gatewayKeys), fleet, selector, generation, loadedAt: Date.now() });
  }

  #logChange({ sfu, from, to, reason }: StateChange): void {
    const fields = { sfu: sfu.address, region: sfu.node.region, from, to, reason };
    if (to === "down") this.log.warn("sfu-down", fields);
    else this.log.info("sfu-up", fields);
  }

  /** Starts the health monitor (probes, stats polls). */
  start(): void {
    this.monitor.start();
  }

  /** Stops background work. */
  stop(): void {
    this.monitor.stop();
  }

  /**
   * Swaps in a new configuration: requests in flight finish on the old one, new requests use this
   * one; SFUs kept by address keep their state, pins and round-robin turns are kept.
   */
  apply(config: Config): ReloadSummary {
    const previous = this.#runtime;
    const next = this.#build(config, previous, previous.generation + 1);
    const before = new Set(previous.config.sfus.map((sfu) => sfu.address));
    const after = new Set(config.sfus.map((sfu) => sfu.address));
    this.affinity.ttlMs = config.affinityTtlMs;
    this.budget.configure(config.retryBudgetPercent, config.retryMinPerSecond);
    this.#runtime = next;
    this.monitor.retarget(next.fleet, monitorSettings(next));
    return {
      generation: next.generation,
      added: [...after].filter((address) => !before.has(address)),
      removed: [...before].filter((address) => !after.has(address)),
      kept: [...after].filter((address) => before.has(address)),
    };
  }

  /** Whether the gateway can serve channels: not stopping, and at least one SFU usable. */
  readiness(): { ready: boolean; reason: string } {
    if (this.stopping) return { ready: false, reason: "stopping" };
    const { fleet } = this.#runtime;
    if (fleet.states.length === 0) return { ready: false, reason: "no SFU is configured" };
    const usable = fleet.usableCount;
    if (usable === 0) return { ready: false, reason: "no SFU is usable (all down or draining)" };
    return { ready: true, reason: `${usable} of ${fleet.states.length} SFUs usable` };
  }
}
