/**
 * Prometheus metrics (prom-client, one registry per gateway). Counters and histograms are updated
 * on the request path through pre-resolved children where the labels are known in advance
 * (prom-client's children still hash their labels on each update: the three updates of a channel
 * request cost about 2 µs, see bench/README.md); everything that describes state (SFU health,
 * drain, load, pins) is read from the running gateway when scraped, so it costs nothing per request.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { SfuState } from "../fleet/sfu-state.ts";
import { VERSION } from "../version.ts";

/** What the scrape-time gauges read. */
export interface MetricsSource {
  sfus(): readonly SfuState[];
  generation(): number;
  pins(): ReadonlyMap<string, number>;
  ready(): boolean;
  inflight(): number;
}

/** Label values of routes with a small, fixed set of names; anything else is "other". */
const ROUTES = new Set([
  "/v1/channel",
  "/health",
  "/ready",
  "/noop",
  "/v1/noop",
  "/metrics",
  "/status",
  "/status/json",
  "/swagger",
  "/swagger/json",
]);

export const routeLabel = (path: string): string =>
  ROUTES.has(path) ? path : path.startsWith("/admin/") ? "/admin" : path.startsWith("/swagger/assets/") ? "/swagger/assets" : "other";

/** Upstream latency buckets, in seconds: the SFU answers in milliseconds, Odoo gives up at 3 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3];

export class Metrics {
  readonly registry = new Registry();
  /** False when metrics are turned off (SFU_GATEWAY_METRICS=false): every update is skipped. */
  readonly enabled: boolean;
  readonly #httpRequests: Counter<"route" | "status">;
  readonly #channelRequests: Counter<"region" | "sfu" | "status">;
  readonly #upstream: Histogram<"sfu" | "outcome">;
  readonly #retries: Counter<"sfu">;
  readonly #failovers: Counter;
  readonly #coalesced: Counter;
  readonly #budgetSpent: Counter;
  readonly #reloads: Counter<"result">;
  /** Children by label values, so the request path does not rebuild label sets. */
  readonly #httpChildren = new Map<string, Counter.Internal>();
  readonly #upstreamChildren = new Map<string, Histogram.Internal<"sfu" | "outcome">>();
  readonly #channelChildren = new Map<string, Counter.Internal>();

  constructor(source: MetricsSource, enabled = true) {
    this.enabled = enabled;
    const registers = [this.registry];
    this.#httpRequests = new Counter({
      name: "sfu_gateway_http_requests_total",
      help: "HTTP requests answered, by route and status",
      labelNames: ["route", "status"],
      registers,
    });
    this.#channelRequests = new Counter({
      name: "sfu_gateway_channel_requests_total",
      help: "Channel requests, by region asked (none when no hint), SFU chosen (none when none answered) and status",
      labelNames: ["region", "sfu", "status"],
      registers,
    });
    this.#upstream = new Histogram({
      name: "sfu_gateway_upstream_duration_seconds",
      help: "Time of each /v1/channel call to an SFU, by SFU and outcome (ok, or the failure kind)",
      labelNames: ["sfu", "outcome"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#retries = new Counter({
      name: "sfu_gateway_retries_total",
      help: "Channel calls retried on another SFU, by the SFU that failed",
      labelNames: ["sfu"],
      registers,
    });
    this.#failovers = new Counter({
      name: "sfu_gateway_failovers_total",
      help: "Channel requests answered by another SFU than the first one tried",
      registers,
    });
    this.#coalesced = new Counter({
      name: "sfu_gateway_coalesced_requests_total",
      help: "Channel requests that joined an identical request in flight instead of calling an SFU",
      registers,
    });
    this.#budgetSpent = new Counter({
      name: "sfu_gateway_retry_budget_exhausted_total",
      help: "Retries not made because the retry budget was spent",
      registers,
    });
    this.#reloads = new Counter({
      name: "sfu_gateway_config_reloads_total",
      help: "Configuration reloads, by result (success, failure)",
      labelNames: ["result"],
      registers,
    });
    this.#reloads.inc({ result: "success" }, 0);
    this.#reloads.inc({ result: "failure" }, 0);

    const perSfu = (name: string, help: string, value: (sfu: SfuState) => number | null, labelNames: ("sfu" | "region")[] = ["sfu"]) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const sfu of source.sfus()) {
            const figure = value(sfu);
            if (figure === null) continue;
            this.set(labelNames.length === 2 ? { sfu: sfu.address, region: sfu.node.region ?? "" } : { sfu: sfu.address }, figure);
          }
        },
      });
    perSfu("sfu_gateway_sfu_up", "1 when the SFU is healthy (probes and channel calls), else 0", (sfu) => (sfu.health.state === "up" ? 1 : 0), ["sfu", "region"]);
    perSfu("sfu_gateway_sfu_draining", "1 when the SFU is drained by an operator", (sfu) => (sfu.draining ? 1 : 0));
    perSfu("sfu_gateway_sfu_usable", "1 when new channels may go to the SFU (up and not draining)", (sfu) => (sfu.usable ? 1 : 0));
    perSfu("sfu_gateway_sfu_ejections", "Times the SFU was ejected for failing channel calls", (sfu) => sfu.health.ejections);
    perSfu("sfu_gateway_sfu_sessions", "Sessions on the SFU at its last stats (least-loaded)", (sfu) => sfu.load?.sessions ?? null);
    perSfu("sfu_gateway_sfu_channels", "Channels on the SFU at its last stats (least-loaded)", (sfu) => sfu.load?.channels ?? null);
    perSfu("sfu_gateway_sfu_stats_age_seconds", "Age of the SFU's last stats (least-loaded)", (sfu) => (sfu.load === null ? null : (Date.now() - sfu.load.at) / 1000));
    perSfu("sfu_gateway_sfu_capacity", "Sessions the SFU is declared to carry", (sfu) => sfu.node.capacity);
    new Gauge({
      name: "sfu_gateway_sfu_pins",
      help: "Issuers pinned to the SFU",
      labelNames: ["sfu"],
      registers,
      collect() {
        this.reset();
        // Counted once per scrape: a pass over every pin (up to 200 000), not one per SFU.
        const pins = source.pins();
        for (const sfu of source.sfus()) this.set({ sfu: sfu.address }, pins.get(sfu.address) ?? 0);
      },
    });
    new Gauge({
      name: "sfu_gateway_config_generation",
      help: "1 for the configuration read at start, +1 per successful reload",
      registers,
      collect() {
        this.set(source.generation());
      },
    });
    new Gauge({
      name: "sfu_gateway_ready",
      help: "1 when the gateway can serve channels (readiness)",
      registers,
      collect() {
        this.set(source.ready() ? 1 : 0);
      },
    });
    new Gauge({
      name: "sfu_gateway_inflight_requests",
      help: "Channel requests being served",
      registers,
      collect() {
        this.set(source.inflight());
      },
    });
    new Gauge({
      name: "sfu_gateway_build_info",
      help: "Build information; always 1",
      labelNames: ["version", "bun"],
      registers,
    }).set({ version: VERSION, bun: Bun.version }, 1);
    new Gauge({
      name: "sfu_gateway_start_time_seconds",
      help: "When the process started, in seconds since the epoch",
      registers,
    }).set(Math.floor(Date.now() / 1000));
    new Gauge({
      name: "sfu_gateway_resident_memory_bytes",
      help: "Resident memory of the process",
      registers,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
  }

  httpRequest(route: string, status: number): void {
    if (!this.enabled) return;
    const key = `${route} ${status}`;
    let child = this.#httpChildren.get(key);
    if (child === undefined) {
      child = this.#httpRequests.labels(route, String(status));
      this.#httpChildren.set(key, child);
    }
    child.inc();
  }

  channelRequest(region: string | null, sfu: string | null, status: number): void {
    if (!this.enabled) return;
    const key = `${region} ${sfu} ${status}`;
    let child = this.#channelChildren.get(key);
    if (child === undefined) {
      child = this.#channelRequests.labels(region ?? "none", sfu ?? "none", String(status));
      this.#channelChildren.set(key, child);
    }
    child.inc();
  }

  upstream(sfu: string, outcome: string, seconds: number): void {
    if (!this.enabled) return;
    const key = `${sfu} ${outcome}`;
    let child = this.#upstreamChildren.get(key);
    if (child === undefined) {
      child = this.#upstream.labels(sfu, outcome);
      this.#upstreamChildren.set(key, child);
    }
    child.observe(seconds);
  }

  retry(from: string): void {
    if (!this.enabled) return;
    this.#retries.labels(from).inc();
  }

  failover(): void {
    if (!this.enabled) return;
    this.#failovers.inc();
  }

  coalesced(): void {
    if (!this.enabled) return;
    this.#coalesced.inc();
  }

  retryBudgetSpent(): void {
    if (!this.enabled) return;
    this.#budgetSpent.inc();
  }

  reload(ok: boolean): void {
    if (!this.enabled) return;
    this.#reloads.labels(ok ? "success" : "failure").inc();
  }

  /** The exposition in Prometheus' text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
