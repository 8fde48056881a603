/**
 * The health of one SFU as a pure state machine: active probes (rise/fall, as HAProxy counts them)
 * and passive detection from real channel calls (ejection with a growing time out, as Envoy's outlier
 * detection). `nextHealth` never mutates; it returns the same object when nothing changed.
 *
 * - An SFU starts up, not yet probed; its first probe failing takes it down at once (HAProxy's
 *   `init-state up`), later ones only after `fall` failures in a row.
 * - Down by probes: back up after `rise` successful probes in a row.
 * - `ejectAfter` failed channel calls in a row take an up SFU down at once, for a time out of
 *   `ejectBaseMs × 2^(n-1)` (n = ejections in a row, capped at `ejectMaxMs`); it comes back with a
 *   successful probe once the time out is over and its last `rise` probes succeeded (counted since
 *   the ejection), so that an SFU that crashed while out needs `rise` probes, as any down SFU, and
 *   not one lucky probe. An SFU that stayed up longer than `ejectMaxMs` starts its next ejection
 *   streak from one.
 */

export interface HealthRules {
  readonly rise: number;
  readonly fall: number;
  /** 0: channel-call failures never eject. */
  readonly ejectAfter: number;
  readonly ejectBaseMs: number;
  readonly ejectMaxMs: number;
}

export interface Health {
  readonly state: "up" | "down";
  /** When the state last changed (ms since the epoch). */
  readonly since: number;
  /** Why the SFU is in its state, for the status page and the logs. */
  readonly reason: string;
  /** Whether a probe has completed since the SFU was configured. */
  readonly probed: boolean;
  readonly probeSuccesses: number;
  readonly probeFailures: number;
  /** Failed channel calls in a row. */
  readonly callFailures: number;
  /** Ejections in the current streak (sets the time out). */
  readonly ejectionStreak: number;
  /** Ejections since the SFU was configured. */
  readonly ejections: number;
  /** While ejected: the earliest time a successful probe brings it back; otherwise null. */
  readonly ejectedUntil: number | null;
}

export type HealthEvent =
  | { readonly kind: "probe"; readonly ok: true }
  | { readonly kind: "probe"; readonly ok: false; readonly error: string }
  | { readonly kind: "call"; readonly ok: true }
  | { readonly kind: "call"; readonly ok: false; readonly error: string };

export function initialHealth(now: number, reason = "configured; not probed yet"): Health {
  return {
    state: "up",
    since: now,
    reason,
    probed: false,
    probeSuccesses: 0,
    probeFailures: 0,
    callFailures: 0,
    ejectionStreak: 0,
    ejections: 0,
    ejectedUntil: null,
  };
}

/** The time out of the n-th ejection in a row. */
export function ejectionTimeout(rules: HealthRules, streak: number): number {
  return Math.min(rules.ejectMaxMs, rules.ejectBaseMs * 2 ** Math.max(0, Math.min(streak - 1, 30)));
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

export function nextHealth(health: Health, event: HealthEvent, rules: HealthRules, now: number): Health {
  if (event.kind === "probe") {
    if (event.ok) {
      const probeSuccesses = health.probeSuccesses + 1;
      const counted = { ...health, probed: true, probeSuccesses, probeFailures: 0 };
      if (health.state === "up") return health.probed ? counted : { ...counted, reason: "its first probe succeeded" };
      if (health.ejectedUntil !== null) {
        if (now < health.ejectedUntil || probeSuccesses < rules.rise) return counted;
        return { ...counted, state: "up", since: now, reason: `ejection time out over and ${plural(probeSuccesses, "probe")} in a row succeeded`, ejectedUntil: null, callFailures: 0 };
      }
      if (probeSuccesses < rules.rise) return counted;
      return { ...counted, state: "up", since: now, reason: `${plural(probeSuccesses, "probe")} in a row succeeded`, callFailures: 0 };
    }
    const probeFailures = health.probeFailures + 1;
    const counted = { ...health, probed: true, probeSuccesses: 0, probeFailures };
    if (health.state === "down") return counted;
    if (health.probed && probeFailures < rules.fall) return counted;
    const why = health.probed ? `${plural(probeFailures, "probe")} in a row failed` : "its first probe failed";
    return { ...counted, state: "down", since: now, reason: `${why}: ${event.error}` };
  }

  if (event.ok) return health.callFailures === 0 ? health : { ...health, callFailures: 0 };
  const callFailures = health.callFailures + 1;
  if (health.state === "down" || rules.ejectAfter === 0 || callFailures < rules.ejectAfter) return { ...health, callFailures };
  // A long healthy spell ends the streak: the next ejection gets the base time out again.
  const streak = (now - health.since > rules.ejectMaxMs ? 0 : health.ejectionStreak) + 1;
  const timeout = ejectionTimeout(rules, streak);
  return {
    ...health,
    state: "down",
    since: now,
    reason: `ejected: ${plural(callFailures, "channel call")} in a row failed (${event.error}); out for at least ${timeout / 1000} s`,
    callFailures,
    probeSuccesses: 0,
    ejectionStreak: streak,
    ejections: health.ejections + 1,
    ejectedUntil: now + timeout,
  };
}
