/**
 * A stand-in for an Odoo SFU (odoo/sfu) that answers the HTTP routes the gateway uses the way the
 * real one does: /v1/channel verifies the token with the SFU's own key by odoo/sfu's rules
 * (src/services/auth.ts), creates one channel per (caller address, iss), and answers
 * {uuid, url}; /v1/noop and /v1/stats as odoo/sfu. It runs with PROXY on, so the caller address is
 * the leftmost X-Forwarded-For entry. The demo runs two; the tests run many, watching what they receive.
 */
import { equalBytes } from "../auth/constant-time.ts";

export interface ReceivedRequest {
  readonly path: string;
  /** Raw query string after `?`, or "" */
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Claims of a token that verified, else null. */
  readonly claims: Readonly<Record<string, unknown>> | null;
  /** Raw token from `Authorization`, as the SFU extracts it. */
  readonly token: string | null;
}

export interface DemoSfuOptions {
  /** The SFU's AUTH_KEY, base64. */
  readonly key: string;
  readonly hostname?: string;
  readonly port?: number;
  /** Public URL answered as `url`; default http://<hostname>:<port>. */
  readonly publicUrl?: string;
  /**
   * Consulted before normal handling; a Response (or promise of one) replaces the SFU's answer.
   * Tests use it to make the SFU fail, hang or lie.
   */
  readonly override?: (request: Request, received: ReceivedRequest) => Response | Promise<Response> | undefined;
}

interface DemoChannel {
  readonly uuid: string;
  readonly remoteAddress: string;
  readonly createDate: string;
  readonly webRtcEnabled: boolean;
}

export interface DemoSfu {
  readonly url: string;
  readonly port: number;
  /** Every request received, oldest first. */
  readonly received: ReceivedRequest[];
  /** Channels created, by `${remoteAddress}::${iss}`. */
  readonly channels: ReadonlyMap<string, DemoChannel>;
  stop(): Promise<void>;
}

/** odoo/sfu's verify(): lenient base64 segments, alg HS256, constant-time HMAC, exp/nbf/iat rules. */
export function verifyLikeSfu(token: string, key: Buffer, nowSeconds = Date.now() / 1000): Record<string, unknown> | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [headerText, payloadText, signatureText] = parts as [string, string, string];
  const decode = (part: string) => Buffer.from(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "="), "base64");
  let header: { alg?: unknown };
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(decode(headerText).toString("utf8"));
    claims = JSON.parse(decode(payloadText).toString("utf8"));
  } catch {
    return null;
  }
  if (header?.alg !== "HS256") return null;
  const expected = new Bun.CryptoHasher("sha256", key).update(`${headerText}.${payloadText}`).digest();
  const given = decode(signatureText);
  if (!equalBytes(given, expected)) return null;
  if (typeof claims.exp === "number" && claims.exp < nowSeconds) return null;
  if (typeof claims.nbf === "number" && claims.nbf > nowSeconds) return null;
  if (typeof claims.iat === "number" && claims.iat > nowSeconds + 60) return null;
  return claims;
}

const JSON_TYPE = { "content-type": "application/json" } as const;

export function startDemoSfu(options: DemoSfuOptions): DemoSfu {
  const key = Buffer.from(options.key, "base64");
  const received: ReceivedRequest[] = [];
  const channels = new Map<string, DemoChannel>();
  const hostname = options.hostname ?? "127.0.0.1";
  let publicUrl = options.publicUrl ?? "";

  const server = Bun.serve({
    hostname,
    port: options.port ?? 0,
    async fetch(request, srv) {
      const url = new URL(request.url);
      const authorization = request.headers.get("authorization");
      const token = authorization?.split(" ")[1] ?? null;
      const claims = token ? verifyLikeSfu(token, key) : null;
      const record: ReceivedRequest = {
        path: url.pathname,
        query: url.search.slice(1),
        headers: Object.fromEntries(request.headers),
        claims,
        token,
      };
      received.push(record);
      const replaced = options.override?.(request, record);
      if (replaced !== undefined) return replaced;

      if (request.method !== "GET" && request.method !== "POST" && request.method !== "OPTIONS") {
        return new Response(null, { status: 405 });
      }
      if (url.pathname === "/v1/noop" && request.method === "GET") {
        return new Response('{"result":"ok"}', { headers: JSON_TYPE });
      }
      if (url.pathname === "/v1/stats" && request.method === "GET") {
        return Response.json([...channels.values()].map((channel) => ({ ...channel, sessionsStats: { count: 0 } })));
      }
      if (url.pathname !== "/v1/channel" || request.method !== "GET") return new Response(null, { status: 404 });
      if (!token) return new Response(null, { status: 401 });
      if (claims === null) return new Response(null, { status: 500 });
      if (!claims.iss) return new Response(null, { status: 403 });
      const forwarded = request.headers.get("x-forwarded-for");
      const remoteAddress = forwarded ? forwarded.split(",")[0]!.trim() : (srv.requestIP(request)?.address ?? "");
      const id = `${remoteAddress}::${String(claims.iss)}`;
      let channel = channels.get(id);
      if (channel === undefined) {
        channel = {
          uuid: crypto.randomUUID(),
          remoteAddress,
          createDate: new Date().toISOString(),
          webRtcEnabled: url.searchParams.get("webRTC") !== "false",
        };
        channels.set(id, channel);
      }
      return new Response(JSON.stringify({ uuid: channel.uuid, url: publicUrl }), { headers: JSON_TYPE });
    },
  });
  const port = server.port as number;
  if (publicUrl === "") publicUrl = `http://${hostname}:${port}`;
  return {
    url: `http://${hostname}:${port}`,
    port,
    received,
    channels,
    stop: () => server.stop(true),
  };
}
