/** Liveness and no-op routes. */
import { Elysia } from "elysia";
import { JSON_ONLY, SfuNoop, StatusOk } from "../http/schemas.ts";

const OK = '{"status":"ok"}';
const RESULT_OK = '{"result":"ok"}';
const JSON_TYPE = { "content-type": "application/json" } as const;

export const healthRoutes = () =>
  new Elysia({ name: "health-routes" })
    .get("/health", () => new Response(OK, { headers: JSON_TYPE }), {
      ...JSON_ONLY,
      response: { 200: StatusOk },
      detail: { tags: ["Health"], summary: "Liveness: 200 while the process serves" },
    })
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
