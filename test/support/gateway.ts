/**
 * Test harness: the real app on 127.0.0.1 port 0, configured through the same loader as production
 * (environment + SFU_GATEWAY_NODES or a secrets file), with its log lines kept in memory.
 */
import { loadConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/types.ts";
import { Gateway } from "../../src/gateway.ts";
import { createLogger, memorySink } from "../../src/log.ts";
import { reloader, type Reloader } from "../../src/reload.ts";
import { listen } from "../../src/server.ts";
import { newKey } from "./keys.ts";

export interface SfuEntry {
  readonly address: string;
  readonly key: string;
  readonly region?: string;
  readonly capacity?: number;
  readonly weight?: number;
}

export interface TestGateway {
  readonly url: string;
  /** The first gateway key (base64), to sign tokens with. */
  readonly key: string;
  readonly config: Config;
  readonly gateway: Gateway;
  /** Reloads as SIGHUP does (re-reads the environment given and the secrets file, if any). */
  readonly reload: Reloader;
  /** Log lines written so far, parsed. */
  logs(): Record<string, unknown>[];
  /** The raw log text, to check that no secret leaks into it. */
  logText(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Read the SFUs from this secrets file instead of SFU_GATEWAY_NODES. */
  readonly secretsPath?: string;
  /** Do not start the health monitor (probes, stats polls). */
  readonly noMonitor?: boolean;
}

export function startGateway(sfus: readonly SfuEntry[], env: Record<string, string> = {}, options: StartOptions = {}): TestGateway {
  const key = (env.SFU_GATEWAY_KEY ?? newKey()).split(",")[0]!;
  const fullEnv: Record<string, string> = { SFU_GATEWAY_KEY: key, ...env };
  if (options.secretsPath === undefined) fullEnv.SFU_GATEWAY_NODES ??= JSON.stringify({ sfu: sfus });
  const secretsPath = options.secretsPath ?? "/nonexistent/secrets.toml";
  const read = () => loadConfig({ env: fullEnv, secretsPath });
  const { config } = read();
  const sink = memorySink();
  const gateway = new Gateway(config, createLogger(sink, "debug"));
  const reload = reloader(gateway, read);
  // The very server the gateway runs: the channel route on Bun's router, the rest through the app.
  const server = listen(gateway, { hostname: "127.0.0.1", port: 0, reload });
  if (options.noMonitor !== true) gateway.start();
  return {
    url: `http://127.0.0.1:${server.port}`,
    key,
    config,
    gateway,
    reload,
    logs: () => sink.lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    logText: () => sink.lines.join("\n"),
    stop: async () => {
      gateway.stop();
      await server.stop(true);
    },
  };
}

/** Polls `check` every 10 ms until it is true or `timeoutMs` passes; throws with `what` on time out. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}
