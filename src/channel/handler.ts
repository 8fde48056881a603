/**
 * GET /v1/channel: parse → verify → hint → select → forward (with failover) → answer.
 * Everything it needs comes from the gateway's current runtime, taken once per request. Served by
 * Bun's router directly (see server.ts); nothing here loads the web framework.
 */
import type { ChannelResult, Gateway, Runtime } from "../gateway.ts";
import type { SfuState } from "../fleet/sfu-state.ts";
import { requestIdOf } from "../http/request-id.ts";
import { type Hint, resolveHint } from "../routing/hint.ts";
import { callWithFailover, lastFailure } from "../upstream/failover.ts";
import { callerAddress, forwardedFor } from "../upstream/forwarded-for.ts";
import { splitQuery } from "../upstream/query.ts";
import { callSfu } from "../upstream/sfu-call.ts";

const LOGGED_ISSUER_LENGTH = 256;
/** Seconds a caller is told to wait when no SFU is usable: about one health-check round. */
const RETRY_AFTER_SECONDS = 5;

/** What the log line of one channel request says besides status and time. */
interface Decision {
  iss: string | null;
  hint: Hint | null;
  sfu: string | null;
  attempts: number;
  coalesced: boolean;
  error: string | null;
}

/** What a channel request is answered: status and JSON body (and Retry-After for a 503). */
interface Answer {
  readonly status: number;
  readonly body: string;
  readonly retryAfter?: number;
}

/** Handles one channel request, logs it and counts it; never throws. */
export async function handleChannel(gateway: Gateway, request: Request, peer: string): Promise<Response> {
  const started = performance.now();
  const runtime = gateway.runtime;
  const requestId = requestIdOf(request);
  const decision: Decision = { iss: null, hint: null, sfu: null, attempts: 0, coalesced: false, error: null };
  gateway.inflight++;
  let answer: Answer;
  try {
    answer = await decide(gateway, runtime, request, peer, requestId, decision);
  } catch (error) {
    // Nothing above is meant to throw; if it does, the caller still gets JSON and the process lives on.
    gateway.log.error("internal-error", { request_id: requestId, path: "/v1/channel", message: String((error as Error)?.message ?? error) });
    decision.error = "internal error";
    answer = { status: 500, body: '{"error":"internal error"}' };
  } finally {
    gateway.inflight--;
  }
  const { status } = answer;
  const headers: Record<string, string> = { "content-type": "application/json", "x-request-id": requestId };
  if (answer.retryAfter !== undefined) headers["retry-after"] = String(answer.retryAfter);
  const response = new Response(answer.body, { status, headers });
  const fields: Record<string, unknown> = {
    request_id: requestId,
    iss: decision.iss,
    region: decision.hint?.region ?? null,
    sfu: decision.sfu,
    status,
    ms: Math.round((performance.now() - started) * 100) / 100,
  };
  if (decision.hint !== null && decision.hint.source !== "region") fields.region_from = decision.hint.source;
  if (decision.attempts > 1) fields.attempts = decision.attempts;
  if (decision.coalesced) fields.coalesced = true;
  if (decision.error !== null) fields.error = decision.error;
  gateway.log.info("channel", fields);
  gateway.metrics.httpRequest("/v1/channel", status);
  gateway.metrics.channelRequest(decision.hint?.region ?? null, decision.sfu, status);
  return response;
}

function refuse(decision: Decision, status: number, error: string): Answer {
  decision.error = error;
  return { status, body: JSON.stringify({ error }) };
}

async function decide(
  gateway: Gateway,
  runtime: Runtime,
  request: Request,
  peer: string,
  requestId: string,
  decision: Decision,
): Promise<Answer> {
  const { config } = runtime;
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
  const verified = runtime.verifier.verify(authorization.slice(space + 1));
  if (typeof verified === "string") return refuse(decision, 401, verified);
  const iss = verified.claims.iss;
  if (typeof iss !== "string" || iss === "") return refuse(decision, 403, "token has no issuer (iss claim)");
  decision.iss = iss.length > LOGGED_ISSUER_LENGTH ? `${iss.slice(0, LOGGED_ISSUER_LENGTH)}…` : iss;

  const incoming = request.headers.get("x-forwarded-for");
  const hint = resolveHint(runtime.selector.plans, config.routing, query, iss, callerAddress(peer, incoming, config.trustProxy));
  decision.hint = hint;
  const xff = forwardedFor(peer, incoming, config.trustProxy);
  const key = coalescingKey(iss, xff);
  const { result, joined } = gateway.coalescer.run(key, () =>
    forward(gateway, runtime, { iss, region: hint?.region ?? null, passOn: query.passOn, payload: verified.payload, xff, requestId }),
  );
  if (joined) gateway.metrics.coalesced();
  const outcome = await result;
  decision.coalesced = joined;
  decision.sfu = outcome.sfu;
  decision.attempts = joined ? 0 : outcome.attempts;
  decision.error = outcome.error;
  return outcome;
}

/**
 * Requests in flight with the same key share one upstream call: the SFU's own idempotency key, the
 * issuer and the caller address it records (protocol.md §3.3). Not the hint nor the rest of the query:
 * two joins of one call that differ there (a GeoIP country per participant, say) would otherwise race
 * to two SFUs and split the call; on one SFU the first call's options win anyway.
 */
export function coalescingKey(iss: string, forwardedFor: string): string {
  // The address first: it holds no NUL (a header value cannot), so the first NUL ends it.
  return `${forwardedFor}\u0000${iss}`;
}

interface Forward {
  readonly iss: string;
  readonly region: string | null;
  readonly passOn: string;
  readonly payload: string;
  readonly xff: string;
  readonly requestId: string;
}

/** Picks the SFUs to try, calls them in turn, pins the issuer to the one that answers. */
async function forward(gateway: Gateway, runtime: Runtime, request: Forward): Promise<ChannelResult> {
  const { config, fleet, selector } = runtime;
  const { affinity, metrics } = gateway;
  const now = Date.now();
  const pinnedAddress = affinity.get(request.iss, now);
  const pinned = pinnedAddress === null ? null : (fleet.get(pinnedAddress) ?? null);
  const candidates = selector.candidates(selector.plan(request.region), request.iss, pinned, config.maxAttempts, now);
  if (candidates.length === 0) {
    const error = fleet.states.length === 0 ? "no SFU is configured" : "no SFU is usable: every SFU is down or draining";
    return { status: 503, body: JSON.stringify({ error }), retryAfter: RETRY_AFTER_SECONDS, sfu: null, attempts: 0, error };
  }

  const callOne = async (sfu: SfuState, timeoutMs: number, signal: AbortSignal) => {
    // For a strategy that reads load, a new channel counts as load from the moment it is asked for,
    // not when the SFU answers: concurrent requests of a burst then see each other instead of all
    // taking the same SFU.
    const reserved = selector.strategy.readsLoad && sfu !== pinned;
    if (reserved) sfu.reserve();
    const started = performance.now();
    const outcome = await callSfu({
      sfu: sfu.node,
      query: request.passOn,
      token: sfu.signer.sign(request.payload),
      forwardedFor: request.xff,
      requestId: request.requestId,
      timeoutMs,
      signal,
    });
    metrics.upstream(sfu.address, outcome.ok ? "ok" : outcome.kind, (performance.now() - started) / 1000);
    // No channel: give the reservation back.
    if (reserved && !outcome.ok) sfu.release();
    return outcome;
  };
  const result = await callWithFailover(candidates, callOne, config, {
    fleet,
    budget: gateway.budget,
    deadlines: gateway.deadlines,
    onRetry: (from) => metrics.retry(from.address),
  });
  if (result.stoppedBy === "retry-budget") metrics.retryBudgetSpent();
  const attempts = result.attempts.length;
  const last = result.last!;
  if (last.outcome.ok) {
    if (attempts > 1) metrics.failover();
    affinity.pin(request.iss, last.sfu.address);
    return { status: 200, body: JSON.stringify(last.outcome.channel), sfu: last.sfu.address, attempts, error: null };
  }
  const failure = lastFailure(result)!;
  const body: Record<string, unknown> = { error: failure.error, sfu: last.sfu.address };
  if (failure.sfuStatus !== undefined) body.sfu_status = failure.sfuStatus;
  if (attempts > 1) body.attempts = result.attempts.map((attempt) => ({ sfu: attempt.sfu.address, error: (attempt.outcome as { error: string }).error }));
  if (result.stoppedBy === "retry-budget") body.retry = "not retried further: the retry budget is spent";
  return { status: failure.status, body: JSON.stringify(body), sfu: last.sfu.address, attempts, error: failure.error };
}
