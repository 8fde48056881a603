/**
 * Test harness: the real app on 127.0.0.1 port 0, configured through the same loader as production
 * (environment + SFU_GATEWAY_NODES), with its log lines kept in memory.
 */
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/types.ts";
import { createLogger, memorySink } from "../../src/log.ts";
import { newKey } from "./keys.ts";

export interface SfuEntry {
  readonly address: string;
  readonly key: string;
  readonly region?: string;
}

export interface TestGateway {
  readonly url: string;
  readonly key: string;
  readonly config: Config;
  /** Log lines written so far, parsed. */
  logs(): Record<string, unknown>[];
  /** The raw log text, to check that no secret leaks into it. */
  logText(): string;
  stop(): Promise<void>;
}

export function startGateway(sfus: readonly SfuEntry[], env: Record<string, string> = {}): TestGateway {
  const key = env.SFU_GATEWAY_KEY ?? newKey();
  const { config } = loadConfig({
    env: { SFU_GATEWAY_KEY: key, SFU_GATEWAY_NODES: JSON.stringify({ sfu: sfus }), ...env },
    secretsPath: "/nonexistent/secrets.toml",
  });
  const sink = memorySink();
  const app = createApp(config, { log: createLogger(sink, "debug") });
  app.listen({ hostname: "127.0.0.1", port: 0 });
  const server = app.server!;
  return {
    url: `http://127.0.0.1:${server.port}`,
    key,
    config,
    logs: () => sink.lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    logText: () => sink.lines.join("\n"),
    stop: async () => {
      await app.stop(true);
    },
  };
}
