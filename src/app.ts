/**
 * createApp(gateway) → the Elysia app: every route but the served GET /v1/channel (see server.ts),
 * over one running gateway. No module-level state: tests create as many independent gateways and
 * apps as they need.
 */
import { Elysia } from "elysia";
import type { Gateway } from "./gateway.ts";
import { jsonError } from "./http/errors.ts";
import { routeLabel } from "./observability/metrics.ts";
import type { Reloader } from "./reload.ts";
import { adminRoutes } from "./routes/admin.ts";
import { channelRoutes } from "./routes/channel.ts";
import { docsRoutes } from "./routes/docs.ts";
import { healthRoutes } from "./routes/health.ts";
import { metricsRoutes, statusRoutes } from "./routes/status.ts";

/** Paths and the one method each is served with; another method on them is answered 405. */
const METHODS = new Map([
  ["/v1/channel", "GET"],
  ["/health", "GET"],
  ["/ready", "GET"],
  ["/noop", "GET"],
  ["/v1/noop", "GET"],
  ["/status", "GET"],
  ["/status/json", "GET"],
  ["/metrics", "GET"],
  ["/swagger", "GET"],
  ["/swagger/json", "GET"],
  ["/admin/sfus/drain", "POST"],
  ["/admin/sfus/undrain", "POST"],
  ["/admin/reload", "POST"],
  ["/admin/explain", "GET"],
]);

/** The first validation problem of an Elysia ValidationError, in words. */
function validationMessage(error: unknown): string {
  const first = (error as { all?: { path?: string; summary?: string; message?: string }[] }).all?.[0];
  if (first === undefined) return "invalid request";
  const where = first.path === undefined || first.path === "" ? "" : ` at ${first.path}`;
  return `invalid request${where}: ${first.summary ?? first.message ?? "does not match the schema"}`;
}

export interface AppOptions {
  /** What POST /admin/reload does; without it the route answers that no reload is possible. */
  readonly reload?: Reloader;
}

const noReload: Reloader = () => ({ ok: false, problems: ["this gateway was started without a configuration source to reload from"] });

export function createApp(gateway: Gateway, options: AppOptions = {}) {
  const reload = options.reload ?? noReload;
  // The public API: served, and described by the OpenAPI document.
  const documented = () =>
    new Elysia()
      .use(healthRoutes(gateway))
      .use(channelRoutes(gateway))
      .use(statusRoutes(gateway))
      .use(metricsRoutes(gateway))
      .use(adminRoutes(gateway, reload));
  return new Elysia()
    .onAfterResponse(({ path, set, responseValue }) => {
      const status = responseValue instanceof Response ? responseValue.status : typeof set.status === "number" ? set.status : 200;
      gateway.metrics.httpRequest(routeLabel(path), status);
    })
    .onError(({ code, error, request, path }) => {
      if (code === "NOT_FOUND") {
        const method = METHODS.get(path);
        if (method !== undefined && request.method !== method) {
          return jsonError(405, `method ${request.method} is not allowed on ${path}; use ${method}`, undefined, { allow: method });
        }
        return jsonError(404, `no route ${path}`);
      }
      if (code === "VALIDATION") return jsonError(400, validationMessage(error));
      if (code === "PARSE") return jsonError(400, "invalid request: the body could not be parsed");
      gateway.log.error("internal-error", { path, message: String((error as Error)?.message ?? error) });
      return jsonError(500, "internal error");
    })
    .use(documented())
    .use(docsRoutes(documented));
}

export type App = ReturnType<typeof createApp>;
