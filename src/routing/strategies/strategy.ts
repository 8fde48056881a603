/**
 * A strategy decides where a new issuer's channel goes among SFUs that are equally near (one tier).
 * Affinity, health, drain and region order are the selector's business; a strategy only ranks the
 * usable SFUs it is given (the shape of Caddy's selection policies and LiveKit's selectors).
 */
import type { Strategy as StrategyName } from "../../config/settings.ts";
import type { SfuState } from "../../fleet/sfu-state.ts";

export interface Strategy {
  readonly name: StrategyName;
  /** The tier's usable SFUs, best first. `turn` is the tier's round-robin turn. */
  order(members: readonly SfuState[], iss: string, turn: number, now: number): SfuState[];
  /** Whether the SFU is to be used only when every candidate is (least-loaded: above its threshold). */
  overloaded(state: SfuState, now: number): boolean;
  /**
   * Whether the strategy reads the SFUs' load: their /v1/stats are then polled, channels asked for
   * count as provisional load, and `overloaded` may defer an SFU (a ranking must see every tier).
   * When false, none of that happens and a ranking may stop once it has enough SFUs.
   */
  readonly readsLoad: boolean;
  /** Why the SFU ranks where it does, for explain; never a secret. */
  describe(state: SfuState, iss: string, now: number): string;
}

/** `members` rotated so that the one at `turn` (modulo their number) comes first. */
export function rotate<T>(members: readonly T[], turn: number): T[] {
  const count = members.length;
  if (count <= 1) return [...members];
  const start = turn % count;
  return start === 0 ? [...members] : [...members.slice(start), ...members.slice(0, start)];
}
