/**
 * Listening. Bun.serve answers GET /v1/channel through Bun's own router, straight to the channel
 * handler, from the first moment; every other route goes to the Elysia app (documentation, status,
 * metrics, admin), which is loaded right after the port is open: its modules cost start-up time
 * the channel route does not need.
 */
import type { Server } from "bun";
import { handleChannel } from "./channel/handler.ts";
import type { Gateway } from "./gateway.ts";
import { jsonError } from "./http/errors.ts";
import type { Reloader } from "./reload.ts";

export interface ListenOptions {
  readonly hostname: string;
  readonly port: number;
  /** Share the port with another process (restarts without a gap). */
  readonly reusePort?: boolean;
  /** What POST /admin/reload does. */
  readonly reload?: Reloader;
}

/** When the app is loaded if no request asked for it sooner. */
const APP_WARM_UP_DELAY_MS = 250;

/** Starts serving `gateway`; throws when the address cannot be listened on (the port is taken, say). */
export function listen(gateway: Gateway, options: ListenOptions): Server<unknown> {
  type App = { handle(request: Request): Promise<Response> };
  let app: Promise<App> | undefined;
  const loadApp = () =>
    (app ??= import("./app.ts").then(({ createApp }) => createApp(gateway, options.reload === undefined ? {} : { reload: options.reload })));
  const server = Bun.serve({
    hostname: options.hostname,
    port: options.port,
    reusePort: options.reusePort ?? false,
    development: false,
    maxRequestBodySize: 64 * 1024,
    routes: {
      "/v1/channel": {
        GET: (request, srv) => handleChannel(gateway, request, srv.requestIP(request)?.address ?? ""),
      },
    },
    async fetch(request) {
      return (await loadApp()).handle(request);
    },
    error(error) {
      gateway.log.error("internal-error", { message: String(error?.message ?? error) });
      return jsonError(500, "internal error");
    },
  });
  // Loaded in the background once start-up is over (loading it blocks the event loop for some
  // milliseconds, which the first channel requests should not wait for), so that the first request
  // for another route does not wait for it either.
  setTimeout(() => void loadApp(), APP_WARM_UP_DELAY_MS).unref();
  return server;
}
