/**
 * The sfu-gateway command: parse flags, load and validate the configuration once, serve, stop on signals.
 * Start-up runs inside a function (no top-level await) so the binary can be built with --bytecode.
 */
import { HELP, parseArgs } from "./cli.ts";
import { loadConfig } from "./config/load.ts";
import { ConfigError, type Config } from "./config/types.ts";
import { healthcheck } from "./healthcheck.ts";
import { createLogger } from "./log.ts";
import { serve } from "./serve.ts";
import { VERSION } from "./version.ts";

import { EXIT_CONFIG, fail } from "./exit.ts";

function configProblem(error: unknown): never {
  if (error instanceof ConfigError) {
    fail(EXIT_CONFIG, `configuration error:\n${error.problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
  throw error;
}

/** A multi-line summary of the configuration, without any key. */
export function summarise(config: Config, warnings: readonly string[]): string {
  const { routing } = config;
  const lines = [
    `listen:        ${config.bind}:${config.port}`,
    `gateway keys:  ${config.gatewayKeys.length}`,
    `trust proxy:   ${config.trustProxy ? "yes (incoming X-Forwarded-For kept)" : "no"}`,
    `SFU deadline:  ${config.deadlineMs} ms (${config.attemptTimeoutMs} ms per attempt, at most ${config.maxAttempts} attempts)`,
    `health checks: every ${config.healthIntervalMs} ms, up after ${config.healthRise}, down after ${config.healthFall}; eject after ${config.ejectAfter} failed calls`,
    `strategy:      ${config.strategy}; affinity ${config.affinityTtlMs / 1000} s`,
    `admin API:     ${config.adminKey === null ? "off" : "on"}`,
    `SFUs (from ${config.sfuSource}): ${config.sfus.length}`,
    ...config.sfus.map((sfu) => {
      const extra = [sfu.capacity === null ? "" : `capacity ${sfu.capacity}`, sfu.weight === 1 ? "" : `weight ${sfu.weight}`].filter(Boolean).join(", ");
      return `  - ${sfu.address}  region ${sfu.region ?? "(none)"}${extra === "" ? "" : `  ${extra}`}`;
    }),
  ];
  if (routing.defaultRegion !== null || routing.byAddress.length > 0 || routing.byIssuer.length > 0) {
    lines.push("routing:");
    for (const rule of routing.byIssuer) lines.push(`  - issuer ${rule.pattern} → ${rule.region}`);
    for (const rule of routing.byAddress) lines.push(`  - address ${rule.cidr.text} → ${rule.region}`);
    if (routing.defaultRegion !== null) lines.push(`  - default → ${routing.defaultRegion}`);
  }
  if (warnings.length > 0) lines.push("warnings:", ...warnings.map((warning) => `  - ${warning}`));
  return `${lines.join("\n")}\n`;
}

function main(argv: readonly string[], env: Record<string, string | undefined>): void {
  const command = parseArgs(argv);
  switch (command.kind) {
    case "error":
      fail(EXIT_CONFIG, command.message);
    case "help":
      process.stdout.write(HELP);
      return;
    case "version":
      process.stdout.write(`sfu-gateway ${VERSION}\n`);
      return;
    case "demo":
      // Loaded only for the demo: its stand-in SFUs are not part of the gateway.
      void import("./demo/run.ts").then(({ runDemo }) => runDemo(env));
      return;
    case "healthcheck":
      void healthcheck(env).then((code) => process.exit(code));
      return;
    case "check": {
      let loaded: ReturnType<typeof loadConfig>;
      try {
        loaded = loadConfig({ env, secretsPath: command.secretsPath });
      } catch (error) {
        configProblem(error);
      }
      process.stdout.write(`configuration OK\n${summarise(loaded.config, loaded.warnings)}`);
      return;
    }
    case "serve": {
      let loaded: ReturnType<typeof loadConfig>;
      try {
        loaded = loadConfig({ env, secretsPath: command.secretsPath });
      } catch (error) {
        configProblem(error);
      }
      const log = createLogger(undefined, loaded.config.logLevel);
      for (const warning of loaded.warnings) log.warn("config", { message: warning });
      const read = () => loadConfig({ env, secretsPath: command.secretsPath });
      serve(loaded.config, log, { read, secretsPath: command.secretsPath });
    }
  }
}

if (import.meta.main) main(process.argv.slice(2), process.env);
