/**
 * Serving until a signal stops the process: SIGHUP reloads the configuration, SIGTERM/SIGINT stop
 * gracefully (readiness turns 503, no new connections, requests in flight finish within the stop
 * time out, exit 0).
 */
import type { Config } from "./config/types.ts";
import { EXIT_FAILURE, fail } from "./exit.ts";
import { Gateway } from "./gateway.ts";
import type { Logger } from "./log.ts";
import { type ConfigReader, reloader, watchFile } from "./reload.ts";
import { listen } from "./server.ts";
import { VERSION } from "./version.ts";

export interface ServeOptions {
  /** Reads the configuration again, for reloads; without it SIGHUP only logs that it cannot reload. */
  readonly read?: ConfigReader;
  /** The secrets file, watched when SFU_GATEWAY_WATCH is on. */
  readonly secretsPath?: string;
}

/** Starts serving; a taken port or a bad bind address ends the process with exit code 1. */
export function serve(config: Config, log: Logger, options: ServeOptions = {}) {
  const gateway = new Gateway(config, log);
  const reload = options.read === undefined ? undefined : reloader(gateway, options.read);
  let server: ReturnType<typeof listen>;
  try {
    // No port sharing unless asked for: a second gateway on a taken port must fail, not split the traffic.
    server = listen(gateway, { hostname: config.bind, port: config.port, reusePort: config.reusePort, ...(reload === undefined ? {} : { reload }) });
  } catch (error) {
    const code = (error as { code?: string }).code;
    fail(
      EXIT_FAILURE,
      code === "EADDRINUSE"
        ? `cannot listen on ${config.bind}:${config.port}: the port is already in use`
        : `cannot listen on ${config.bind}:${config.port}: ${(error as Error).message}`,
    );
  }
  gateway.start();
  log.info("listening", {
    version: VERSION,
    address: `${config.bind}:${server.port}`,
    sfus: config.sfus.length,
    sfu_source: config.sfuSource,
    strategy: config.strategy,
    admin_api: config.adminKey !== null,
  });
  for (const sfu of config.sfus) log.info("sfu", { address: sfu.address, region: sfu.region });

  process.on("SIGHUP", () => {
    if (reload === undefined) log.warn("reload-unavailable", { reason: "this gateway has no configuration source to reload from" });
    else reload("SIGHUP");
  });
  if (reload !== undefined && config.watchSecrets && options.secretsPath !== undefined && config.sfuSource !== "SFU_GATEWAY_NODES") {
    watchFile(options.secretsPath, reload, (message) => log.warn("watch-unavailable", { path: options.secretsPath, message }));
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.stopping = true;
    const { stopTimeoutMs } = gateway.runtime.config;
    log.info("stopping", { signal, inflight: gateway.inflight, timeout_ms: stopTimeoutMs });
    gateway.stop();
    // Stop listening; requests in flight go on.
    void server.stop(false);
    const deadline = Date.now() + stopTimeoutMs;
    while (gateway.inflight > 0 && Date.now() < deadline) await Bun.sleep(10);
    const left = gateway.inflight;
    if (left > 0) log.warn("stop-timeout", { abandoned: left });
    void server.stop(true);
    log.info("stopped", { signal });
    log.flush();
    process.exit(0);
  };
  // `on`, not `once`: a signal repeated while stopping (a supervisor sending SIGTERM again, a second
  // Ctrl-C) is ignored by stop() instead of killing the process with the requests in flight.
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  return { server, gateway };
}
