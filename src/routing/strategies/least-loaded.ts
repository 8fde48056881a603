/**
 * least-loaded: the SFU with the lowest load for its size, from its polled /v1/stats.
 *
 * - load = sessions in the last stats + the channels asked for since (in flight or granted), each
 *   counted as `provisionalSessions`, so a burst between two polls does not all land on one SFU;
 * - score = load ÷ (weight × capacity), capacity 1 when not declared: the SFU's share of new
 *   channels is proportional to weight × capacity;
 * - stats older than `staleIntervals` polls are unknown, never read as an idle SFU: such SFUs rank
 *   after every SFU with fresh stats and room, in turn;
 * - an SFU with a capacity whose load reaches `thresholdPercent` of it is overloaded: used only when
 *   every candidate is.
 */
import type { SfuState } from "../../fleet/sfu-state.ts";
import type { Strategy } from "./strategy.ts";
import { rotate } from "./strategy.ts";

export interface LeastLoadedSettings {
  readonly statsIntervalMs: number;
  readonly statsStaleIntervals: number;
  readonly loadThresholdPercent: number;
  readonly provisionalSessions: number;
}

export interface LoadView {
  /** Whether the last stats are fresh. */
  readonly known: boolean;
  /** Sessions counted (reported + provisional); provisional only when unknown. */
  readonly sessions: number;
  readonly score: number;
  readonly overloaded: boolean;
  /** Age of the last stats in ms, or null when never read. */
  readonly ageMs: number | null;
}

export function loadView(state: SfuState, settings: LeastLoadedSettings, now: number): LoadView {
  const { load, provisionalChannels, node } = state;
  const ageMs = load === null ? null : now - load.at;
  const known = ageMs !== null && ageMs <= settings.statsIntervalMs * settings.statsStaleIntervals;
  const sessions = (known ? load!.sessions : 0) + provisionalChannels * settings.provisionalSessions;
  const score = sessions / (node.weight * (node.capacity ?? 1));
  const overloaded = known && node.capacity !== null && sessions * 100 >= node.capacity * settings.loadThresholdPercent;
  return { known, sessions, score, overloaded, ageMs };
}

export function leastLoaded(settings: LeastLoadedSettings): Strategy {
  return {
    name: "least-loaded",
    order(members, _iss, turn, now) {
      // Rotating first makes ties (equal scores) go round-robin.
      const views = rotate(members, turn).map((state) => ({ state, view: loadView(state, settings, now) }));
      const known = views.filter((entry) => entry.view.known).sort((a, b) => a.view.score - b.view.score);
      const unknown = views.filter((entry) => !entry.view.known).sort((a, b) => a.view.score - b.view.score);
      return [...known, ...unknown].map((entry) => entry.state);
    },
    overloaded: (state, now) => loadView(state, settings, now).overloaded,
    readsLoad: true,
    describe(state, _iss, now) {
      const view = loadView(state, settings, now);
      const capacity = state.node.capacity;
      const of = capacity === null ? "" : ` of ${capacity} (${Math.round((view.sessions * 100) / capacity)} %)`;
      const provisional = state.provisionalChannels > 0 ? `, ${state.provisionalChannels} channel(s) asked for since the last stats` : "";
      if (!view.known) {
        const age = view.ageMs === null ? "never read" : `${Math.round(view.ageMs / 100) / 10} s old`;
        return `load unknown (stats ${age})${provisional}`;
      }
      return `load ${view.sessions} sessions${of}, weight ${state.node.weight}${provisional}${view.overloaded ? ", above its threshold" : ""}`;
    },
  };
}
