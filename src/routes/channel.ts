/**
 * GET /v1/channel: parse → verify → select → re-sign → forward → answer.
 * Everything it needs is built once per configuration and passed in (ChannelServices).
 */
import { Elysia } from "elysia";
import type { Hs256Signer, Hs256Verifier } from "../auth/hs256.ts";
import type { Config } from "../config/types.ts";
import { jsonError } from "../http/errors.ts";
import { ChannelAnswer, ChannelQuery, ErrorBody, JSON_ONLY } from "../http/schemas.ts";
import type { Logger } from "../log.ts";
import { resolveHint } from "../routing/hint.ts";
import type { Selector } from "../routing/selector.ts";
import { forwardedFor } from "../upstream/forwarded-for.ts";
import { splitQuery } from "../upstream/query.ts";
import type { DeadlineSignals } from "../upstream/deadlines.ts";
import { callSfu } from "../upstream/sfu-call.ts";
import { USER_AGENT } from "../version.ts";

export interface ChannelServices {
  readonly config: Config;
  readonly verifier: Hs256Verifier;
  readonly selector: Selector;
  /** Signer of each SFU, by SfuNode.index. */
  readonly signers: readonly Hs256Signer[];
  readonly log: Logger;
  readonly deadlines: DeadlineSignals;
}

const JSON_TYPE = { "content-type": "application/json" } as const;
const LOGGED_ISSUER_LENGTH = 256;

/** What the log line of one channel request says besides status and time. */
interface Decision {
  iss: string | null;
  region: string | null;
  sfu: string | null;
  error: string | null;
}

/** Handles one channel request and logs it; never throws. */
export async function handleChannel(services: ChannelServices, request: Request, peer: string): Promise<Response> {
  const started = performance.now();
  const decision: Decision = { iss: null, region: null, sfu: null, error: null };
  const response = await decide(services, request, peer, decision);
  const fields: Record<string, unknown> = {
    iss: decision.iss,
    region: decision.region,
    sfu: decision.sfu,
    status: response.status,
    ms: Math.round((performance.now() - started) * 100) / 100,
  };
  if (decision.error !== null) fields.error = decision.error;
  services.log.info("channel", fields);
  return response;
}

function refuse(decision: Decision, status: number, error: string, extra?: Readonly<Record<string, unknown>>): Response {
  decision.error = error;
  return jsonError(status, error, extra);
}

async function decide(services: ChannelServices, request: Request, peer: string, decision: Decision): Promise<Response> {
  const { config, selector } = services;
  const url = request.url;
  const mark = url.indexOf("?");
  const query = splitQuery(mark < 0 ? "" : url.slice(mark + 1));
  if ("error" in query) return refuse(decision, query.error.startsWith("query string longer") ? 414 : 400, query.error);

  const authorization = request.headers.get("authorization");
  if (authorization === null) return refuse(decision, 401, "missing Authorization header");
  const space = authorization.indexOf(" ");
  if (space <= 0 || space === authorization.length - 1) {
    return refuse(decision, 401, "malformed Authorization header: expected '<scheme> <token>', as Odoo sends 'jwt <token>' or 'Bearer <token>'");
  }
  const verified = services.verifier.verify(authorization.slice(space + 1));
  if (typeof verified === "string") return refuse(decision, 401, verified);
  const iss = verified.claims.iss;
  if (typeof iss !== "string" || iss === "") return refuse(decision, 403, "token has no issuer (iss claim)");
  decision.iss = iss.length > LOGGED_ISSUER_LENGTH ? `${iss.slice(0, LOGGED_ISSUER_LENGTH)}…` : iss;

  const region = resolveHint(selector.plans, query.region, query.country);
  decision.region = region;
  const sfu = selector.pick(selector.plan(region));
  if (sfu === undefined) return refuse(decision, 503, "no SFU is configured");
  decision.sfu = sfu.address;

  const outcome = await callSfu({
    sfu,
    query: query.passOn,
    token: services.signers[sfu.index]!.sign(verified.payload),
    forwardedFor: forwardedFor(peer, request.headers.get("x-forwarded-for"), config.trustProxy),
    deadlineMs: config.deadlineMs,
    signal: services.deadlines.within(config.deadlineMs),
    userAgent: USER_AGENT,
  });
  if (!outcome.ok) {
    const extra = outcome.sfuStatus === undefined ? { sfu: sfu.address } : { sfu: sfu.address, sfu_status: outcome.sfuStatus };
    return refuse(decision, outcome.status, outcome.error, extra);
  }
  return new Response(JSON.stringify(outcome.channel), { headers: JSON_TYPE });
}

/** Elysia plugin: the /v1/channel route over the given services. */
export const channelRoutes = (services: ChannelServices) =>
  new Elysia({ name: "channel-routes" }).get(
    "/v1/channel",
    ({ request, server }) => handleChannel(services, request, server?.requestIP(request)?.address ?? ""),
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
          "is verified (`exp` required, no clock leeway); an SFU is chosen by region; the same claims are re-signed with",
          "that SFU's key and the request is forwarded with the query minus `region` and `country`.",
          "The answer is the SFU's `{uuid, url}`, where `url` is the SFU's own address.",
          "",
          "Errors: 400 bad query, 401 missing/invalid/expired token, 403 token without `iss`, 414 query too long,",
          "502 SFU unreachable or answered an error or an invalid body (`sfu_status` holds its status), 503 no SFU,",
          "504 the SFU did not answer within the deadline.",
        ].join("\n"),
        security: [{ odooToken: [] }],
      },
    },
  );
