/** The SFU health state machine, step by step. */
import { describe, expect, test } from "bun:test";
import { ejectionTimeout, type Health, type HealthEvent, initialHealth, nextHealth } from "../../src/fleet/health.ts";
import { RULES } from "../support/fleet.ts";

const OK_PROBE: HealthEvent = { kind: "probe", ok: true };
const BAD_PROBE: HealthEvent = { kind: "probe", ok: false, error: "connection refused" };
const OK_CALL: HealthEvent = { kind: "call", ok: true };
const BAD_CALL: HealthEvent = { kind: "call", ok: false, error: "HTTP 500" };

/** Runs events (one per second from t = 1000) and returns the state after each. */
function run(events: readonly HealthEvent[], start: Health = initialHealth(0), rules = RULES, step = 1000) {
  let health = start;
  return events.map((event, i) => {
    health = nextHealth(health, event, rules, 1000 + i * step);
    return health;
  });
}
const states = (healths: readonly Health[]) => healths.map((health) => health.state).join(" ");

describe("active probes", () => {
  test.each([
    ["a first failed probe takes a fresh SFU down at once", [BAD_PROBE], "down"],
    ["a probed SFU goes down after fall (3) failures in a row", [OK_PROBE, BAD_PROBE, BAD_PROBE, BAD_PROBE], "up up up down"],
    ["a success in between resets the count", [OK_PROBE, BAD_PROBE, BAD_PROBE, OK_PROBE, BAD_PROBE, BAD_PROBE], "up up up up up up"],
    ["down comes back up after rise (2) successes in a row", [BAD_PROBE, OK_PROBE, BAD_PROBE, OK_PROBE, OK_PROBE], "down down down down up"],
  ] as const)("%s", (_, events, expected) => {
    expect(states(run(events))).toBe(expected);
  });

  test("reasons say why", () => {
    const [down] = run([BAD_PROBE]);
    expect(down!.reason).toBe("its first probe failed: connection refused");
    const later = run([OK_PROBE, BAD_PROBE, BAD_PROBE, BAD_PROBE, OK_PROBE, OK_PROBE]);
    expect(later[3]!.reason).toBe("3 probes in a row failed: connection refused");
    expect(later[5]!.reason).toBe("2 probes in a row succeeded");
    expect(later[5]!.since).toBe(6000);
  });

  test("nothing changes → the same object (no log line, no allocation)", () => {
    const up = run([OK_PROBE])[0]!;
    expect(nextHealth(up, OK_CALL, RULES, 5000)).toBe(up);
  });
});

describe("passive ejection", () => {
  test("ejectAfter (3) failed calls in a row eject at once, with the base time out", () => {
    const healths = run([OK_PROBE, BAD_CALL, BAD_CALL, BAD_CALL]);
    expect(states(healths)).toBe("up up up down");
    const ejected = healths[3]!;
    expect(ejected.ejectedUntil).toBe(4000 + RULES.ejectBaseMs);
    expect(ejected.ejections).toBe(1);
    expect(ejected.reason).toContain("ejected: 3 channel calls in a row failed (HTTP 500)");
  });

  test("a successful call resets the count", () => {
    expect(states(run([BAD_CALL, BAD_CALL, OK_CALL, BAD_CALL, BAD_CALL]))).toBe("up up up up up");
  });

  test("an ejected SFU whose probes pass comes back with the first successful probe after the time out", () => {
    const ejected = run([OK_PROBE, BAD_CALL, BAD_CALL, BAD_CALL]).at(-1)!;
    const until = ejected.ejectedUntil!;
    // A probe during the time out succeeds but does not readmit it.
    const probed = nextHealth(ejected, OK_PROBE, RULES, until - 2);
    expect(probed.state).toBe("down");
    expect(nextHealth(probed, OK_PROBE, RULES, until - 1).state).toBe("down");
    const back = nextHealth(probed, OK_PROBE, RULES, until);
    expect(back.state).toBe("up");
    expect(back.ejectedUntil).toBeNull();
    expect(back.callFailures).toBe(0);
    expect(back.reason).toBe("ejection time out over and 2 probes in a row succeeded");
    // After the time out, it still takes a probe: calls and time alone do not readmit.
    expect(nextHealth(probed, OK_CALL, RULES, until + 10_000).state).toBe("down");
  });

  test("an ejected SFU whose probes failed meanwhile (it crashed) needs rise (2) probes in a row, not one lucky probe", () => {
    // Ejected with its time out ending at t = 1002, when run() (one event per ms from t = 1000) sends the third probe.
    const ejected = { ...run([OK_PROBE, BAD_CALL, BAD_CALL, BAD_CALL]).at(-1)!, ejectedUntil: 1002 };
    // Probes: fail, fail, ok (time out over, but one lucky probe), fail, ok, ok.
    const timeline = run([BAD_PROBE, BAD_PROBE, OK_PROBE, BAD_PROBE, OK_PROBE, OK_PROBE], ejected, RULES, 1);
    expect(states(timeline)).toBe("down down down down down up");
    expect(timeline.at(-1)!.reason).toBe("ejection time out over and 2 probes in a row succeeded");
  });

  test("the time out doubles with each ejection in a row, up to the maximum", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => ejectionTimeout(RULES, n))).toEqual([5000, 10_000, 20_000, 40_000, 80_000, 120_000, 120_000, 120_000]);
    let health = run([OK_PROBE]).at(-1)!;
    let now = 2000;
    const timeouts: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) health = nextHealth(health, BAD_CALL, RULES, ++now);
      timeouts.push(health.ejectedUntil! - now);
      now = health.ejectedUntil!;
      for (let i = 0; i < RULES.rise; i++) health = nextHealth(health, OK_PROBE, RULES, now);
      expect(health.state).toBe("up");
    }
    expect(timeouts).toEqual([5000, 10_000, 20_000]);
    expect(health.ejections).toBe(3);
  });

  test("a long healthy spell starts the streak over", () => {
    let health = run([OK_PROBE, BAD_CALL, BAD_CALL, BAD_CALL]).at(-1)!;
    for (let i = 0; i < RULES.rise; i++) health = nextHealth(health, OK_PROBE, RULES, health.ejectedUntil!);
    expect(health.state).toBe("up");
    const later = health.since + RULES.ejectMaxMs + 1;
    for (let i = 0; i < 3; i++) health = nextHealth(health, BAD_CALL, RULES, later + i);
    expect(health.ejectedUntil! - (later + 2)).toBe(RULES.ejectBaseMs);
    expect(health.ejections).toBe(2);
  });

  test("ejectAfter 0 never ejects", () => {
    const rules = { ...RULES, ejectAfter: 0 };
    expect(states(run([BAD_CALL, BAD_CALL, BAD_CALL, BAD_CALL, BAD_CALL], initialHealth(0), rules))).toBe("up up up up up");
  });

  test("probes failing while ejected keep it down; its time out stays", () => {
    const ejected = run([OK_PROBE, BAD_CALL, BAD_CALL, BAD_CALL]).at(-1)!;
    const after = nextHealth(ejected, BAD_PROBE, RULES, ejected.ejectedUntil! + 1);
    expect(after.state).toBe("down");
    expect(after.ejectedUntil).toBe(ejected.ejectedUntil);
  });
});
