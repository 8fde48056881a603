/**
 * The sfu-gateway command: parse flags, load and validate the configuration once, serve, stop on signals.
 * Start-up runs inside a function (no top-level await) so the binary can be built with --bytecode.
 */
import { HELP, parseArgs } from "./cli.ts";
import { loadConfig } from "./config/load.ts";
import { ConfigError, type Config } from "./config/types.ts";
import { runDemo } from "./demo/run.ts";
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
  const lines = [
    `listen:        ${config.bind}:${config.port}`,
    `gateway keys:  ${config.gatewayKeys.length}`,
    `trust proxy:   ${config.trustProxy ? "yes (incoming X-Forwarded-For kept)" : "no"}`,
    `SFU deadline:  ${config.deadlineMs} ms`,
    `SFUs (from ${config.sfuSource}): ${config.sfus.length}`,
    ...config.sfus.map((sfu) => `  - ${sfu.address}  region ${sfu.region ?? "(none)"}`),
  ];
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
      runDemo(env);
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
      const log = createLogger();
      for (const warning of loaded.warnings) log.warn("config", { message: warning });
      serve(loaded.config, log);
    }
  }
}

if (import.meta.main) main(process.argv.slice(2), process.env);
