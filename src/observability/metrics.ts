/**
 * Prometheus metrics, one registry per gateway: prom-client's Registry formats the exposition and
 * its Gauges read everything that describes state (SFU health, drain, load, pins) from the running
 * gateway when scraped, so state costs nothing per request. The counters and the histogram the
 * request path updates are series.ts's: a map look-up and an addition (prom-client's own hash
 * their label set on every update, about 2 µs per channel request; see bench/README.md).
 */
// One module at a time: prom-client's index also loads its push-gateway client (node:http, zlib)
// and its default process metrics, about 45 ms of start-up and some memory for nothing used here.
import Gauge from "prom-client/lib/gauge.js";
import Registry from "prom-client/lib/registry.js";
import type { Metric } from "prom-client";
import { CounterFamily, HistogramFamily } from "./series.ts";
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
  readonly #httpRequests = new CounterFamily("sfu_gateway_http_requests_total", "HTTP requests answered, by route and status", ["route", "status"]);
  readonly #channelRequests = new CounterFamily(
    "sfu_gateway_channel_requests_total",
    "Channel requests, by region asked (none when no hint), SFU chosen (none when none answered) and status",
    ["region", "sfu", "status"],
  );
  readonly #upstream = new HistogramFamily(
    "sfu_gateway_upstream_duration_seconds",
    "Time of each /v1/channel call to an SFU, by SFU and outcome (ok, or the failure kind)",
    ["sfu", "outcome"],
    LATENCY_BUCKETS,
  );
  readonly #retries = new CounterFamily("sfu_gateway_retries_total", "Channel calls retried on another SFU, by the SFU that failed", ["sfu"]);
  readonly #failovers = new CounterFamily("sfu_gateway_failovers_total", "Channel requests answered by another SFU than the first one tried");
  readonly #coalesced = new CounterFamily(
    "sfu_gateway_coalesced_requests_total",
    "Channel requests that joined a request in flight for the same issuer and caller instead of calling an SFU",
  );
  readonly #budgetSpent = new CounterFamily("sfu_gateway_retry_budget_exhausted_total", "Retries not made because the retry budget was spent");
  readonly #reloads = new CounterFamily("sfu_gateway_config_reloads_total", "Configuration reloads, by result (success, failure)", ["result"]);

  constructor(source: MetricsSource, enabled = true) {
    this.enabled = enabled;
    const registers = [this.registry];
    for (const family of [this.#httpRequests, this.#channelRequests, this.#upstream, this.#retries, this.#failovers, this.#coalesced, this.#budgetSpent, this.#reloads]) {
      // prom-client's Registry reads name, help, type and get(): the families provide exactly that.
      this.registry.registerMetric(family as unknown as Metric);
    }
    this.#reloads.series("success");
    this.#reloads.series("failure");

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
    if (this.enabled) this.#httpRequests.inc(route, String(status));
  }

  channelRequest(region: string | null, sfu: string | null, status: number): void {
    if (this.enabled) this.#channelRequests.inc(region ?? "none", sfu ?? "none", String(status));
  }

  upstream(sfu: string, outcome: string, seconds: number): void {
    if (this.enabled) this.#upstream.observe(this.#upstream.series(sfu, outcome), seconds);
  }

  retry(from: string): void {
    if (this.enabled) this.#retries.inc(from);
  }

  failover(): void {
    if (this.enabled) this.#failovers.inc();
  }

  coalesced(): void {
    if (this.enabled) this.#coalesced.inc();
  }

  retryBudgetSpent(): void {
    if (this.enabled) this.#budgetSpent.inc();
  }

  reload(ok: boolean): void {
    if (this.enabled) this.#reloads.inc(ok ? "success" : "failure");
  }

  /** The exposition in Prometheus' text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
