/** GET /status (the status page: one self-contained HTML page, no CDN) and GET /status/json (what it shows). */
import { Elysia, t } from "elysia";
import type { Gateway } from "../gateway.ts";
import { jsonError, jsonResponse } from "../http/errors.ts";
import { JSON_ONLY } from "../http/schemas.ts";
import { statusView } from "../observability/status.ts";
// Bundled into the binary as text (bun-types types every .html import as an HTML bundle).
import PAGE_TEXT from "../observability/status-page.html" with { type: "text" };

const PAGE = PAGE_TEXT as unknown as string;

const HTML = { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } as const;

export const statusRoutes = (gateway: Gateway) =>
  new Elysia({ name: "status-routes" })
    .get("/status", () => new Response(PAGE, { headers: HTML }), {
      detail: { tags: ["Status"], summary: "The status page: SFUs by region with health, drain, load and recent errors; refreshes itself" },
    })
    .get("/status/json", () => jsonResponse(statusView(gateway), 200, { "cache-control": "no-store" }), {
      ...JSON_ONLY,
      response: {
        200: t.Object(
          {
            version: t.String(),
            ready: t.Boolean(),
            ready_reason: t.String(),
            sfus: t.Array(t.Object({ address: t.String(), region: t.Nullable(t.String()), state: t.String(), usable: t.Boolean() }, { additionalProperties: true })),
          },
          { additionalProperties: true, description: "Every SFU: address, region, health and since when, last probe, failures, ejections, drain, load, counters. Never a key." },
        ),
      },
      detail: { tags: ["Status"], summary: "Every SFU's state, as JSON" },
    });

export const metricsRoutes = (gateway: Gateway) =>
  new Elysia({ name: "metrics-routes" }).get(
    "/metrics",
    async () =>
      gateway.metrics.enabled
        ? new Response(await gateway.metrics.render(), { headers: { "content-type": gateway.metrics.contentType } })
        : jsonError(404, "metrics are off (SFU_GATEWAY_METRICS=false)"),
    { detail: { tags: ["Status"], summary: "Prometheus metrics (text exposition format)" } },
  );
