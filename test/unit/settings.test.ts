import { describe, expect, test } from "bun:test";
import { defaultSettings, readSettings, SETTINGS } from "../../src/config/settings.ts";

const problemsOf = (env: Record<string, string>) => {
  const problems: string[] = [];
  readSettings(env, problems);
  return problems.join("\n");
};

describe("settings", () => {
  test("defaults", () => {
    expect(defaultSettings()).toMatchObject({
      deadlineMs: 2500,
      attemptTimeoutMs: 1000,
      maxAttempts: 3,
      healthIntervalMs: 2000,
      healthRise: 2,
      healthFall: 3,
      ejectAfter: 3,
      strategy: "round-robin",
      affinityTtlMs: 3_600_000,
      adminKey: null,
      logLevel: "info",
      watchSecrets: false,
    });
  });

  test("every setting has a distinct variable, a field and help", () => {
    expect(new Set(SETTINGS.map((spec) => spec.variable)).size).toBe(SETTINGS.length);
    expect(new Set(SETTINGS.map((spec) => spec.field)).size).toBe(SETTINGS.length);
    for (const spec of SETTINGS) {
      expect(spec.variable).toStartWith("SFU_GATEWAY_");
      expect(spec.help.length).toBeGreaterThan(10);
    }
  });

  test.each([
    [{ SFU_GATEWAY_STRATEGY: "random" }, 'SFU_GATEWAY_STRATEGY: expected one of round-robin, hash, least-loaded, got "random"'],
    [{ SFU_GATEWAY_LOG_LEVEL: "verbose" }, "SFU_GATEWAY_LOG_LEVEL: expected one of debug, info, warn, error"],
    [{ SFU_GATEWAY_MAX_ATTEMPTS: "0" }, "SFU_GATEWAY_MAX_ATTEMPTS: expected a whole number from 1 to 10"],
    [{ SFU_GATEWAY_ATTEMPT_TIMEOUT_MS: "2000", SFU_GATEWAY_DEADLINE_MS: "1500" }, "SFU_GATEWAY_ATTEMPT_TIMEOUT_MS: 2000 ms is longer than SFU_GATEWAY_DEADLINE_MS (1500 ms)"],
    [{ SFU_GATEWAY_HEALTH_TIMEOUT_MS: "3000" }, "must be shorter than SFU_GATEWAY_HEALTH_INTERVAL_MS"],
    [{ SFU_GATEWAY_EJECT_BASE_MS: "200000" }, "SFU_GATEWAY_EJECT_BASE_MS: 200000 ms is longer than SFU_GATEWAY_EJECT_MAX_MS"],
    [{ SFU_GATEWAY_ADMIN_KEY: "short" }, "SFU_GATEWAY_ADMIN_KEY: must be at least 16 characters"],
    [{ SFU_GATEWAY_WATCH: "yes" }, "SFU_GATEWAY_WATCH: expected true, false, 1 or 0"],
    [{ SFU_GATEWAY_HEALTH_RISE: "1.5" }, "SFU_GATEWAY_HEALTH_RISE: expected a whole number"],
  ])("%p → %s", (env, message) => {
    expect(problemsOf(env)).toContain(message);
  });

  test("an unset attempt time follows a shorter deadline; an admin key is kept as given", () => {
    const problems: string[] = [];
    const settings = readSettings({ SFU_GATEWAY_DEADLINE_MS: "600", SFU_GATEWAY_ADMIN_KEY: "0123456789abcdef0123" }, problems);
    expect(problems).toEqual([]);
    expect(settings.attemptTimeoutMs).toBe(600);
    expect(settings.adminKey).toBe("0123456789abcdef0123");
  });
});
