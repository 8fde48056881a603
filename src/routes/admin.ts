/**
 * The admin API, behind its own key (SFU_GATEWAY_ADMIN_KEY; without it every admin route answers
 * 404): drain and undrain an SFU, reload the configuration, explain a routing decision.
 */
import { Elysia, t } from "elysia";
import type { Gateway } from "../gateway.ts";
import { adminGuard } from "../http/admin-auth.ts";
import { jsonError, jsonResponse } from "../http/errors.ts";
import { ErrorBody } from "../http/schemas.ts";
import { sfuView } from "../observability/status.ts";
import type { Reloader } from "../reload.ts";
import { explain } from "../routing/explain.ts";

const AddressBody = t.Object(
  { address: t.String({ description: "The SFU's address as configured (its trailing slash does not matter)", examples: ["http://10.0.0.5:8070"] }) },
  { additionalProperties: false },
);

const DrainAnswer = t.Object(
  {
    address: t.String(),
    draining: t.Boolean(),
    changed: t.Boolean({ description: "false when the SFU already was in that state" }),
  },
  { additionalProperties: true, description: "The SFU after the change (its full status under `sfu`)" },
);

const ExplainQuery = t.Object({
  region: t.Optional(t.String({ description: "As the region parameter of /v1/channel" })),
  country: t.Optional(t.String({ description: "As the country parameter of /v1/channel" })),
  iss: t.Optional(t.String({ description: "The token's issuer, `<Odoo base URL>:channel:<id>`", examples: ["https://db.example.com:channel:42"] })),
  address: t.Optional(t.String({ description: "The caller's address as the gateway would see it (an Odoo server)", examples: ["10.1.2.3"] })),
});

const security = [{ adminKey: [] }];

export const adminRoutes = (gateway: Gateway, reload: Reloader) => {
  // Every admin route is under /admin/, so this one check, before anything else, guards them all.
  const guard = (request: Request) => adminGuard(gateway.runtime.config.adminKey)(request);
  const drain = (draining: boolean) => ({ body }: { body: { address: string } }) => {
    const { fleet } = gateway.runtime;
    const result = fleet.setDraining(body.address, draining);
    if (result === undefined) {
      return jsonError(404, `no SFU has the address ${body.address.trim().replace(/\/+$/, "")}`, { known: fleet.states.map((sfu) => sfu.address) });
    }
    const { sfu, changed } = result;
    if (changed) gateway.log.info(draining ? "sfu-drained" : "sfu-undrained", { sfu: sfu.address, region: sfu.node.region });
    const pins = gateway.affinity.countByAddress();
    return jsonResponse({ address: sfu.address, draining, changed, sfu: sfuView(gateway, sfu, pins, Date.now()) });
  };
  return new Elysia({ name: "admin-routes" })
    // The key is checked before anything else, body validation included: an unauthenticated caller
    // learns nothing from the answer but that it needs the key (or that the admin API is off).
    .onRequest(({ request }) => {
      if (!new URL(request.url).pathname.startsWith("/admin/")) return;
      const refused = guard(request);
      if (refused !== null) return refused;
    })
    .post("/admin/sfus/drain", drain(true), {
      body: AddressBody,
      response: { 200: DrainAnswer, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      detail: {
        tags: ["Admin"],
        summary: "Drain an SFU: it gets no new channels (pinned issuers move too) but keeps being probed",
        security,
      },
    })
    .post("/admin/sfus/undrain", drain(false), {
      body: AddressBody,
      response: { 200: DrainAnswer, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      detail: { tags: ["Admin"], summary: "Undrain an SFU: it gets new channels again (when healthy)", security },
    })
    .post(
      "/admin/reload",
      () => {
        const outcome = reload("admin API");
        if (!outcome.ok) return jsonError(422, "the new configuration is invalid; the running one stays", { problems: outcome.problems });
        return jsonResponse({ ...outcome.summary, warnings: outcome.warnings });
      },
      {
        response: {
          200: t.Object(
            {
              generation: t.Number(),
              added: t.Array(t.String()),
              removed: t.Array(t.String()),
              kept: t.Array(t.String()),
              warnings: t.Array(t.String()),
            },
            { description: "The configuration now in use and what changed" },
          ),
          401: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
        },
        detail: {
          tags: ["Admin"],
          summary: "Reload the configuration (as SIGHUP does): re-read the secrets file, validate, swap in; requests in flight finish on the old one",
          security,
        },
      },
    )
    .get(
      "/admin/explain",
      ({ query }) => jsonResponse(explain(gateway.runtime, gateway.affinity, query)),
      {
        query: ExplainQuery,
        response: { 200: t.Object({}, { additionalProperties: true, description: "The ordered candidates and why" }), 401: ErrorBody, 404: ErrorBody },
        detail: {
          tags: ["Admin"],
          summary: "Explain where a channel request would go: the SFUs it would try, in order, and why (nothing is forwarded, no turn moves)",
          security,
        },
      },
    );
};
