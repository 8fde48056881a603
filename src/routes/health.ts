/** Liveness, readiness and no-op routes. */
import { Elysia, t } from "elysia";
import type { Gateway } from "../gateway.ts";
import { jsonResponse } from "../http/errors.ts";
import { JSON_ONLY, SfuNoop, StatusOk } from "../http/schemas.ts";

const OK = '{"status":"ok"}';
const RESULT_OK = '{"result":"ok"}';
const JSON_TYPE = { "content-type": "application/json" } as const;

const Readiness = t.Object({
  status: t.Union([t.Literal("ready"), t.Literal("not ready")]),
  reason: t.String({ description: "Why, for example `2 of 3 SFUs usable` or `no SFU is usable (all down or draining)`" }),
});

export const healthRoutes = (gateway: Gateway) =>
  new Elysia({ name: "health-routes" })
    .get("/health", () => new Response(OK, { headers: JSON_TYPE }), {
      ...JSON_ONLY,
      response: { 200: StatusOk },
      detail: { tags: ["Health"], summary: "Liveness: 200 while the process serves, whatever the SFUs' state" },
    })
    .get(
      "/ready",
      () => {
        const { ready, reason } = gateway.readiness();
        return jsonResponse({ status: ready ? "ready" : "not ready", reason }, ready ? 200 : 503);
      },
      {
        ...JSON_ONLY,
        response: { 200: Readiness, 503: Readiness },
        detail: {
          tags: ["Health"],
          summary: "Readiness: 503 when no SFU is usable or the gateway is stopping, so an orchestrator can route around it",
        },
      },
    )
    .get("/noop", () => new Response(OK, { headers: JSON_TYPE }), {
      ...JSON_ONLY,
      response: { 200: StatusOk },
      detail: { tags: ["Health"], summary: "Same as /health (the original gateway's route)" },
    })
    .get("/v1/noop", () => new Response(RESULT_OK, { headers: JSON_TYPE }), {
      ...JSON_ONLY,
      response: { 200: SfuNoop },
      detail: { tags: ["Health"], summary: "What an SFU answers on /v1/noop, for tools that probe the gateway like an SFU" },
    });
