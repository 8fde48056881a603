/** The strategy a configuration names. */
import type { Settings } from "../../config/settings.ts";
import { hashStrategy } from "./hash.ts";
import { leastLoaded } from "./least-loaded.ts";
import { roundRobin } from "./round-robin.ts";
import type { Strategy } from "./strategy.ts";

export type { Strategy } from "./strategy.ts";

export function strategyFor(settings: Settings): Strategy {
  switch (settings.strategy) {
    case "round-robin":
      return roundRobin;
    case "hash":
      return hashStrategy;
    case "least-loaded":
      return leastLoaded(settings);
  }
}
