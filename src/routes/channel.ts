/**
 * The /v1/channel route as Elysia sees it: its schemas make the OpenAPI document (query parameters,
 * answers, errors, security). Requests with GET never reach it when served (Bun's router calls the
 * handler first, see server.ts); other methods get 405 through the app.
 */
import { Elysia } from "elysia";
import { handleChannel } from "../channel/handler.ts";
import type { Gateway } from "../gateway.ts";
import { ChannelAnswer, ChannelQuery, ErrorBody, JSON_ONLY } from "../http/schemas.ts";

/** Elysia plugin: the /v1/channel route over the given gateway (documented; served by Bun's router too). */
export const channelRoutes = (gateway: Gateway) =>
  new Elysia({ name: "channel-routes" }).get(
    "/v1/channel",
    ({ request, server }) => handleChannel(gateway, request, server?.requestIP(request)?.address ?? ""),
    {
      ...JSON_ONLY,
      query: ChannelQuery,
      response: {
        200: ChannelAnswer,
        400: ErrorBody,
        401: ErrorBody,
        403: ErrorBody,
        414: ErrorBody,
        502: ErrorBody,
        503: ErrorBody,
        504: ErrorBody,
      },
      detail: {
        tags: ["Channel"],
        summary: "Get a channel on an SFU",
        description: [
          "What Odoo calls (`mail.sfu_server_url` + `/v1/channel`). The caller's HS256 token, signed with the gateway key,",
          "is verified (`exp` required, no clock leeway). The region comes from `region`, else `country`, else the caller",
          "rules of the configuration (issuer host, caller address, default region). An issuer already seen goes to the SFU",
          "that created its channel; a new one to the SFU the strategy picks among the usable SFUs of the region, then of the",
          "nearest regions. The same claims are re-signed with that SFU's key and the request is forwarded with the query",
          "minus `region` and `country`; when the SFU fails, the next candidate is tried within the deadline.",
          "The answer is the SFU's `{uuid, url}`, where `url` is the SFU's own address.",
          "",
          "Errors: 400 bad query, 401 missing/invalid/expired token, 403 token without `iss`, 414 query too long,",
          "502 SFU unreachable or answered an error or an invalid body (`sfu_status` holds its status, `attempts` every SFU tried),",
          "503 no SFU usable (with `Retry-After`), 504 the SFU did not answer in time.",
        ].join("\n"),
        security: [{ odooToken: [] }],
      },
    },
  );
