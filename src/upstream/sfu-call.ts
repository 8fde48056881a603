/** One /v1/channel call to one SFU, bounded by a deadline, its outcome mapped to what Odoo is told. */
import type { SfuNode } from "../config/types.ts";
import { type Channel, parseChannel } from "./channel-answer.ts";

/** Bodies larger than this are not a channel answer. */
const MAX_ANSWER_BYTES = 64 * 1024;

export type SfuOutcome =
  | { readonly ok: true; readonly channel: Channel }
  | {
      readonly ok: false;
      /** What went wrong, in the SFU's terms: the kinds later stages (health, retries) act on. */
      readonly kind: "refused" | "reset" | "unreachable" | "timeout" | "status" | "invalid";
      /** HTTP status for Odoo: 502, or 504 for a passed deadline. */
      readonly status: 502 | 504;
      readonly error: string;
      /** The SFU's own status for kind "status". */
      readonly sfuStatus?: number;
    };

export interface SfuRequest {
  readonly sfu: SfuNode;
  /** Query string to pass on, without `?` (may be empty). */
  readonly query: string;
  /** The token for this SFU. */
  readonly token: string;
  readonly forwardedFor: string;
  readonly deadlineMs: number;
  /** Aborts when the deadline has passed (see DeadlineSignals). */
  readonly signal: AbortSignal;
  readonly userAgent: string;
}

/** Calls the SFU and never throws: every failure becomes an SfuOutcome. */
export async function callSfu(request: SfuRequest): Promise<SfuOutcome> {
  const { sfu, query, deadlineMs, signal } = request;
  const target = query.length > 0 ? `${sfu.channelUrl}?${query}` : sfu.channelUrl;
  let response: Response;
  try {
    response = await fetch(target, {
      headers: {
        authorization: `Bearer ${request.token}`,
        "x-forwarded-for": request.forwardedFor,
        "user-agent": request.userAgent,
      },
      redirect: "manual",
      signal,
    });
  } catch (error) {
    return transportFailure(error, deadlineMs);
  }
  let body: string;
  try {
    body = await response.text();
  } catch (error) {
    return transportFailure(error, deadlineMs);
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

function transportFailure(error: unknown, deadlineMs: number): SfuOutcome {
  const name = (error as { name?: unknown })?.name;
  const code = (error as { code?: unknown })?.code;
  if (name === "TimeoutError" || name === "AbortError") {
    return { ok: false, kind: "timeout", status: 504, error: `the SFU did not answer within ${deadlineMs} ms` };
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
