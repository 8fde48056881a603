/** The status view: every SFU with its health, drain, load and counters; the same data feeds /status/json and the status page. Never a key. */
import type { Gateway } from "../gateway.ts";
import type { SfuState } from "../fleet/sfu-state.ts";
import { loadView } from "../routing/strategies/least-loaded.ts";
import { REGION_COORDINATES } from "../routing/regions.ts";
import { VERSION } from "../version.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function sfuView(gateway: Gateway, state: SfuState, pins: ReadonlyMap<string, number>, now: number) {
  const { health, node } = state;
  const config = gateway.runtime.config;
  const load = loadView(state, config, now);
  return {
    address: state.address,
    region: node.region,
    usable: state.usable,
    state: health.state,
    probed: health.probed,
    since: iso(health.since),
    reason: health.reason,
    draining: state.draining,
    last_probe:
      state.lastProbe === null
        ? null
        : { ok: state.lastProbe.ok, at: iso(state.lastProbe.at), ms: state.lastProbe.ms, error: state.lastProbe.error },
    probe_failures: health.probeFailures,
    consecutive_failures: health.callFailures,
    ejections: health.ejections,
    ejected_until: iso(health.ejectedUntil),
    requests: state.requests,
    failures: state.failures,
    last_error: state.lastError === null ? null : { at: iso(state.lastError.at), message: state.lastError.message },
    capacity: node.capacity,
    weight: node.weight,
    load:
      state.load === null
        ? null
        : {
            sessions: state.load.sessions,
            channels: state.load.channels,
            at: iso(state.load.at),
            age_ms: load.ageMs,
            fresh: load.known,
            counted_sessions: load.sessions,
            overloaded: load.overloaded,
          },
    load_error: state.lastStatsError,
    provisional_channels: state.provisionalChannels,
    pins: pins.get(state.address) ?? 0,
  };
}

export type SfuView = ReturnType<typeof sfuView>;

export function statusView(gateway: Gateway, now = Date.now()) {
  const runtime = gateway.runtime;
  const { config, fleet } = runtime;
  const pins = gateway.affinity.countByAddress(now);
  const readiness = gateway.readiness();
  const sfus = fleet.states.map((state) => sfuView(gateway, state, pins, now));
  const regionNames = [...new Set(fleet.states.map((state) => state.node.region ?? ""))];
  return {
    version: VERSION,
    started_at: iso(gateway.startedAt),
    now: iso(now),
    ready: readiness.ready,
    ready_reason: readiness.reason,
    config: {
      generation: runtime.generation,
      loaded_at: iso(runtime.loadedAt),
      source: config.sfuSource,
      strategy: config.strategy,
      health_interval_ms: config.healthIntervalMs,
      load_threshold_percent: config.loadThresholdPercent,
    },
    sfus,
    regions: regionNames.map((name) => ({
      name: name === "" ? null : name,
      coordinates: REGION_COORDINATES.get(name) ?? null,
      sfus: fleet.states.filter((state) => (state.node.region ?? "") === name).map((state) => state.address),
    })),
  };
}
