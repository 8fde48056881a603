/**
 * createApp(config) → the Elysia app: the plugins and routes over one validated configuration.
 * No module-level state: tests create as many independent apps as they need.
 */
import type { Server } from "bun";
import { Elysia } from "elysia";
import { Hs256Signer, Hs256Verifier } from "./auth/hs256.ts";
import type { Config } from "./config/types.ts";
import { jsonError } from "./http/errors.ts";
import { createLogger, type Logger } from "./log.ts";
import { channelRoutes, handleChannel } from "./routes/channel.ts";
import { docsRoutes } from "./routes/docs.ts";
import { healthRoutes } from "./routes/health.ts";
import { Selector } from "./routing/selector.ts";
import { DeadlineSignals } from "./upstream/deadlines.ts";

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
    deadlines: new DeadlineSignals(),
  };
  // The public API: served, and described by the OpenAPI document.
  const documented = () => new Elysia().use(healthRoutes()).use(channelRoutes(services));
  return new Elysia({
    serve: {
      maxRequestBodySize: 64 * 1024,
      // The hot path: Bun calls the channel handler directly, without Elysia's per-request context,
      // query parsing and schema checks (the handler parses the raw query itself). The Elysia route
      // of the same name stays for the OpenAPI document and for app.handle().
      routes: {
        "/v1/channel": {
          GET: (request: Request, server: Server<unknown>) => handleChannel(services, request, server.requestIP(request)?.address ?? ""),
        },
      },
    },
  })
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
    .use(documented())
    .use(docsRoutes(documented));
}

export type App = ReturnType<typeof createApp>;
