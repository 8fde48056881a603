/** Serving one configuration until a signal stops the process. */
import { createApp } from "./app.ts";
import type { Config } from "./config/types.ts";
import { EXIT_FAILURE, fail } from "./exit.ts";
import type { Logger } from "./log.ts";
import { VERSION } from "./version.ts";

/** Starts serving; a taken port or a bad bind address ends the process with exit code 1. */
export function serve(config: Config, log: Logger) {
  const app = createApp(config, { log });
  try {
    app.listen({ hostname: config.bind, port: config.port, development: false });
  } catch (error) {
    const code = (error as { code?: string }).code;
    fail(
      EXIT_FAILURE,
      code === "EADDRINUSE"
        ? `cannot listen on ${config.bind}:${config.port}: the port is already in use`
        : `cannot listen on ${config.bind}:${config.port}: ${(error as Error).message}`,
    );
  }
  const server = app.server!;
  log.info("listening", {
    version: VERSION,
    address: `${config.bind}:${server.port}`,
    sfus: config.sfus.length,
    sfu_source: config.sfuSource,
  });
  for (const sfu of config.sfus) log.info("sfu", { address: sfu.address, region: sfu.region });
  const stop = (signal: string) => {
    log.info("stopping", { signal });
    log.flush();
    void server.stop(false).then(() => process.exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  return app;
}

