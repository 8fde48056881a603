/** One /v1/channel call to one SFU, bounded by a deadline, its outcome mapped to what Odoo is told. */
import type { SfuNode } from "../config/types.ts";
import { USER_AGENT } from "../version.ts";
import { type Channel, parseChannel } from "./channel-answer.ts";

/** Bodies larger than this are not a channel answer. */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface SfuFailure {
  readonly ok: false;
  /** What went wrong, in the SFU's terms: the kinds later stages (health, retries) act on. */
  readonly kind: "refused" | "reset" | "unreachable" | "timeout" | "status" | "invalid";
  /** HTTP status for Odoo: 502, or 504 for a passed deadline. */
  readonly status: 502 | 504;
  readonly error: string;
  /** The SFU's own status for kind "status". */
  readonly sfuStatus?: number;
}

export type SfuOutcome = { readonly ok: true; readonly channel: Channel } | SfuFailure;

/**
 * Statuses an SFU gives because of the request itself, not because it is broken: 400 (odoo/sfu:
 * recordingAddress without a key claim), 409 (o-sfu: same iss with another key), 413, 414, 422.
 * They are neither retried on another SFU nor held against this one.
 */
const CALLER_STATUSES = new Set([400, 409, 413, 414, 422]);

/** Whose fault a failure is: the caller's request, or the SFU (then another SFU may do better). */
export function faultOf(failure: SfuFailure): "caller" | "sfu" {
  return failure.kind === "status" && failure.sfuStatus !== undefined && CALLER_STATUSES.has(failure.sfuStatus) ? "caller" : "sfu";
}

export interface SfuRequest {
  readonly sfu: SfuNode;
  /** Query string to pass on, without `?` (may be empty). */
  readonly query: string;
  /** The token for this SFU. */
  readonly token: string;
  readonly forwardedFor: string;
  /** The request id, passed on as X-Request-Id. */
  readonly requestId: string;
  /** The time this call was given, for the error message. */
  readonly timeoutMs: number;
  /** Aborts when that time has passed (see DeadlineSignals). */
  readonly signal: AbortSignal;
}

/** Calls the SFU and never throws: every failure becomes an SfuOutcome. */
export async function callSfu(request: SfuRequest): Promise<SfuOutcome> {
  const { sfu, query, timeoutMs, signal } = request;
  const target = query.length > 0 ? `${sfu.channelUrl}?${query}` : sfu.channelUrl;
  let response: Response;
  try {
    response = await fetch(target, {
      headers: {
        authorization: `Bearer ${request.token}`,
        "x-forwarded-for": request.forwardedFor,
        "x-request-id": request.requestId,
        "user-agent": USER_AGENT,
      },
      redirect: "manual",
      signal,
    });
  } catch (error) {
    return describeTransportError(error, timeoutMs);
  }
  let body: string;
  try {
    body = await response.text();
  } catch (error) {
    return describeTransportError(error, timeoutMs);
  }
  if (response.status < 200 || response.status > 299) {
    return {
      ok: false,
      kind: "status",
      status: 502,
      sfuStatus: response.status,
      error: `the SFU answered HTTP ${response.status}${hintForStatus(response.status)}`,
    };
  }
  if (body.length > MAX_ANSWER_BYTES) {
    return { ok: false, kind: "invalid", status: 502, error: "the SFU's answer is not a channel: the body is too large" };
  }
  const channel = parseChannel(body);
  if (typeof channel === "string") {
    return { ok: false, kind: "invalid", status: 502, error: `the SFU's answer is not a channel: ${channel}` };
  }
  return { ok: true, channel };
}

function hintForStatus(status: number): string {
  if (status === 401 || status === 403 || status === 500) {
    // odoo/sfu answers 500 to any token it cannot verify, 401/403 to a missing token or issuer.
    return " (if every call to this SFU fails so, check that its key in the gateway's configuration is its AUTH_KEY)";
  }
  if (status >= 300 && status < 400) return " (redirects are not followed: configure the address the SFU answers on)";
  return "";
}

/** A failed fetch as an SfuFailure: a timeout (the signal fired), a refused or reset connection, or else unreachable. */
export function describeTransportError(error: unknown, timeoutMs: number): SfuFailure {
  const name = (error as { name?: unknown })?.name;
  const code = (error as { code?: unknown })?.code;
  if (name === "TimeoutError" || name === "AbortError") {
    return { ok: false, kind: "timeout", status: 504, error: `the SFU did not answer within ${timeoutMs} ms` };
  }
  if (code === "ECONNREFUSED" || code === "ConnectionRefused") {
    return { ok: false, kind: "refused", status: 502, error: "the SFU refused the connection" };
  }
  if (code === "ECONNRESET" || code === "ConnectionClosed" || code === "EPIPE") {
    return { ok: false, kind: "reset", status: 502, error: "the SFU closed the connection before answering" };
  }
  const detail = typeof code === "string" && /^[A-Za-z_]+$/.test(code) ? ` (${code})` : "";
  return { ok: false, kind: "unreachable", status: 502, error: `the SFU could not be reached${detail}` };
}
