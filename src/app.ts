/**
 * createApp(config) → the Elysia app: the plugins and routes over one validated configuration.
 * No module-level state: tests create as many independent apps as they need.
 */
import { Elysia } from "elysia";
import { Hs256Signer, Hs256Verifier } from "./auth/hs256.ts";
import type { Config } from "./config/types.ts";
import { jsonError } from "./http/errors.ts";
import { createLogger, type Logger } from "./log.ts";
import { channelRoutes } from "./routes/channel.ts";
import { docsRoutes } from "./routes/docs.ts";
import { healthRoutes } from "./routes/health.ts";
import { Selector } from "./routing/selector.ts";

/** Paths served with GET; another method on them is answered 405. */
const GET_PATHS = new Set(["/v1/channel", "/health", "/noop", "/v1/noop", "/swagger", "/swagger/json"]);

export interface AppOptions {
  readonly log?: Logger;
}

export function createApp(config: Config, options: AppOptions = {}) {
  const log = options.log ?? createLogger();
  const services = {
    config,
    log,
    verifier: new Hs256Verifier(config.gatewayKeys),
    selector: new Selector(config.sfus),
    signers: config.sfus.map((sfu) => new Hs256Signer(sfu.key)),
  };
  return new Elysia({ serve: { maxRequestBodySize: 64 * 1024 } })
    .onError(({ code, error, request, path }) => {
      if (code === "NOT_FOUND") {
        if (GET_PATHS.has(path) && request.method !== "GET") {
          return jsonError(405, `method ${request.method} is not allowed on ${path}; use GET`, undefined, { allow: "GET" });
        }
        return jsonError(404, `no route ${path}`);
      }
      if (code === "VALIDATION" || code === "PARSE") return jsonError(400, "invalid request");
      log.error("internal-error", { path, message: String((error as Error)?.message ?? error) });
      return jsonError(500, "internal error");
    })
    .use(healthRoutes())
    .use(channelRoutes(services))
    .use(docsRoutes());
}

export type App = ReturnType<typeof createApp>;
