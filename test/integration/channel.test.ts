/**
 * GET /v1/channel end to end: the real app on a real port, against stand-in SFUs that verify the
 * re-signed token by odoo/sfu's rules and record what they receive; tokens made the way Odoo makes them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createHmac, randomUUID } from "node:crypto";
import { jwtVerify } from "jose";
import { askChannel, odooClaims, odooToken } from "../support/odoo.ts";
import { bodyOf } from "../support/http.ts";
import { startGateway } from "../support/gateway.ts";
import { newKey } from "../support/keys.ts";
import { startSfu } from "../support/sfus.ts";

const euWest = startSfu("eu-west");
const euWest2 = startSfu("eu-west");
const usEast = startSfu("us-east");
const local = startSfu("local");
const gateway = startGateway([euWest.entry, euWest2.entry, usEast.entry, local.entry]);
afterAll(async () => {
  await gateway.stop();
  await Promise.all([euWest, euWest2, usEast, local].map((sfu) => sfu.stop()));
});

const allSfus = [euWest, euWest2, usEast, local];
const callCount = () => allSfus.reduce((sum, sfu) => sum + sfu.channelCalls().length, 0);

/** Which SFU served the channel a response names. */
function servedBy(body: { url?: unknown }) {
  const sfu = allSfus.find((candidate) => candidate.url === body.url);
  if (sfu === undefined) throw new Error(`no SFU at ${body.url}`);
  return sfu;
}

describe("a channel request as each Odoo variant sends it", () => {
  test.each(["A", "B", "C"] as const)("variant %s gets the SFU's {uuid, url} and the SFU verifies our token", async (variant) => {
    const claims = odooClaims(variant, 100 + variant.charCodeAt(0));
    const response = await askChannel(gateway.url, gateway.key, { variant, claims, query: variant === "C" ? "recordingAddress=http%3A%2F%2Fodoo%3A8069" : "" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = await bodyOf(response);
    expect(Object.keys(body).sort()).toEqual(["url", "uuid"]);
    const sfu = servedBy(body);
    const call = sfu.channelCalls().at(-1)!;
    // The SFU verified the re-signed token with its own key, and it carries every claim unchanged.
    expect(call.claims).not.toBeNull();
    expect({ ...call.claims }).toMatchObject(claims);
    expect(call.headers.authorization).toStartWith("Bearer ");
    expect(body.uuid).toBe([...sfu.channels.values()].find((channel) => channel.uuid === body.uuid)!.uuid);
  });

  test("the re-signed payload is the caller's, byte for byte, and jose verifies it with the SFU key", async () => {
    const token = odooToken({ iss: "https://db.example.com:channel:5", key: randomUUID(), extra: { nested: [1, "é"] } }, gateway.key, 30);
    const response = await fetch(`${gateway.url}/v1/channel`, { headers: { authorization: `jwt ${token}` } });
    const sfu = servedBy(await bodyOf(response));
    const forwarded = sfu.channelCalls().at(-1)!.token!;
    expect(forwarded.split(".")[1]).toBe(token.split(".")[1]!);
    const key = new Uint8Array(Buffer.from(sfu.key, "base64"));
    const { payload } = await jwtVerify(forwarded, key, { algorithms: ["HS256"] });
    expect(payload.extra).toEqual({ nested: [1, "é"] });
  });

  test("the same iss asked twice gets the same channel from the same SFU (the SFU's idempotency survives)", async () => {
    const claims = odooClaims("B", 777);
    const first = await bodyOf(askChannel(gateway.url, gateway.key, { claims, query: "region=local" }));
    const second = await bodyOf(askChannel(gateway.url, gateway.key, { claims, query: "region=local" }));
    expect(second).toEqual(first);
  });
});

describe("forwarding", () => {
  test("the query is passed on byte for byte minus region and country", async () => {
    const query = "webRTC=false&region=us-east&x=%E0%A4%A&recordingAddress=http%3A%2F%2Fodoo.example.com%2Frec&&country=fr&y=a+b";
    const response = await askChannel(gateway.url, gateway.key, { query });
    expect(response.status).toBe(200);
    const call = usEast.channelCalls().at(-1)!;
    expect(call.query).toBe("webRTC=false&x=%E0%A4%A&recordingAddress=http%3A%2F%2Fodoo.example.com%2Frec&&y=a+b");
    expect([...usEast.channels.values()].at(-1)!.webRtcEnabled).toBe(false);
  });

  test("X-Forwarded-For is the peer only; client X-Forwarded-Host/Proto and other headers are not passed on", async () => {
    await askChannel(gateway.url, gateway.key, {
      query: "region=us-east",
      headers: {
        "x-forwarded-for": "6.6.6.6",
        "x-forwarded-host": "evil.example.com",
        "x-forwarded-proto": "https",
        forwarded: "for=6.6.6.6",
        cookie: "session=secret",
      },
    });
    const headers = usEast.channelCalls().at(-1)!.headers;
    expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(headers["x-forwarded-host"]).toBeUndefined();
    expect(headers["x-forwarded-proto"]).toBeUndefined();
    expect(headers.forwarded).toBeUndefined();
    expect(headers.cookie).toBeUndefined();
    expect(headers["user-agent"]).toStartWith("sfu-gateway/");
  });

  test("with SFU_GATEWAY_TRUST_PROXY the incoming chain is kept and the peer appended", async () => {
    const trusting = startGateway([usEast.entry], { SFU_GATEWAY_TRUST_PROXY: "true" });
    try {
      await askChannel(trusting.url, trusting.key, { headers: { "x-forwarded-for": "203.0.113.7, 10.1.1.1" } });
      expect(usEast.channelCalls().at(-1)!.headers["x-forwarded-for"]).toBe("203.0.113.7, 10.1.1.1, 127.0.0.1");
      await askChannel(trusting.url, trusting.key);
      expect(usEast.channelCalls().at(-1)!.headers["x-forwarded-for"]).toBe("127.0.0.1");
    } finally {
      await trusting.stop();
    }
  });
});

describe("region routing", () => {
  const regionOf = async (query: string) => servedBy(await bodyOf(askChannel(gateway.url, gateway.key, { query }))).region;

  test.each([
    ["region=us-east", "us-east"],
    ["region=eu-west", "eu-west"],
    ["region=local", "local"],
    ["country=US", "us-east"],
    ["country=fr", "eu-west"],
    ["region=atlantis&country=us", "us-east"],
    ["region=eu-north", "eu-west"],
    ["region=sa-east", "us-east"],
    ["country=BR", "us-east"],
    ["region=us-east&country=FR", "us-east"],
  ])("%s → %s", async (query, region) => {
    expect(await regionOf(query)).toBe(region);
  });

  test("round-robin per region: interleaved requests still alternate between the two eu-west SFUs", async () => {
    const picks: string[] = [];
    for (let i = 0; i < 8; i++) {
      const body = await bodyOf(askChannel(gateway.url, gateway.key, { query: i % 2 === 0 ? "region=eu-west" : "region=us-east" }));
      picks.push(body.url);
    }
    const euPicks = picks.filter((_, i) => i % 2 === 0);
    expect(new Set(euPicks)).toEqual(new Set([euWest.url, euWest2.url]));
    expect(euPicks[0]).not.toBe(euPicks[1]);
    expect(euPicks[2]).toBe(euPicks[0]!);
  });

  test("without a hint every SFU is used", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) seen.add((await bodyOf(askChannel(gateway.url, gateway.key))).url);
    expect(seen.size).toBe(4);
  });
});

describe("the caller's token", () => {
  const expectRefused = async (headers: Record<string, string>, status: number, error: string) => {
    const before = callCount();
    const response = await fetch(`${gateway.url}/v1/channel`, { headers });
    expect(response.status).toBe(status);
    const body = await bodyOf(response);
    expect(body.error).toContain(error);
    expect(callCount()).toBe(before);
  };
  const claims = { iss: "https://db.example.com:channel:1" };
  const signed = (header: object, payload: object, key = gateway.key) => {
    const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
    return `${input}.${createHmac("sha256", Buffer.from(key, "base64")).update(input).digest("base64url")}`;
  };
  const now = () => Math.floor(Date.now() / 1000);

  test("missing → 401", () => expectRefused({}, 401, "missing Authorization"));
  test("no scheme word → 401", () => expectRefused({ authorization: odooToken(claims, gateway.key, 30) }, 401, "malformed Authorization"));
  test("scheme word only → 401", () => expectRefused({ authorization: "Bearer" }, 401, "malformed Authorization"));
  test("garbage → 401", () => expectRefused({ authorization: "jwt not.a.token" }, 401, "malformed token"));
  test("wrong key → 401", () => expectRefused({ authorization: `jwt ${odooToken(claims, newKey(), 30)}` }, 401, "invalid token signature"));
  test("expired → 401", () => expectRefused({ authorization: `jwt ${odooToken(claims, gateway.key, -1)}` }, 401, "token expired"));
  test("nbf in the future → 401", () =>
    expectRefused({ authorization: `Bearer ${signed({ alg: "HS256" }, { ...claims, exp: now() + 60, nbf: now() + 30 })}` }, 401, "nbf"));
  test("no exp → 401", () => expectRefused({ authorization: `Bearer ${signed({ alg: "HS256" }, claims)}` }, 401, "no exp"));
  test("alg none → 401", () =>
    expectRefused(
      {
        authorization: `Bearer ${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ ...claims, exp: now() + 60 })).toString("base64url")}.`,
      },
      401,
      "HS256",
    ));
  test("alg HS512 → 401", () => expectRefused({ authorization: `Bearer ${signed({ alg: "HS512" }, { ...claims, exp: now() + 60 })}` }, 401, "HS256"));
  test("valid but without iss → 403, as the SFU answers", () =>
    expectRefused({ authorization: `jwt ${odooToken({ key: "k" }, gateway.key, 30)}` }, 403, "no issuer"));
  test("any scheme word is accepted", async () => {
    const response = await fetch(`${gateway.url}/v1/channel`, { headers: { authorization: `Token ${odooToken(claims, gateway.key, 30)}` } });
    expect(response.status).toBe(200);
  });
});

describe("bad input never gives a 5xx or a crash", () => {
  test("an oversized query → 414 with a JSON error", async () => {
    const response = await askChannel(gateway.url, gateway.key, { query: `x=${"a".repeat(5000)}` });
    expect(response.status).toBe(414);
    expect((await bodyOf(response)).error).toContain("longer than");
  });

  test("oversized headers → a clean 4xx", async () => {
    const response = await fetch(`${gateway.url}/v1/channel`, { headers: { "x-big": "b".repeat(20000) } });
    expect(response.status).toBe(431);
  });

  test("a repeated or undecodable region → 400", async () => {
    for (const query of ["region=a&region=b", "region=%E0%A4%A", "country=%"]) {
      const response = await askChannel(gateway.url, gateway.key, { query });
      expect(response.status).toBe(400);
      expect((await bodyOf(response)).error).toContain("query parameter");
    }
  });

  test("other methods → 405 on known paths, 404 elsewhere", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const response = await fetch(`${gateway.url}/v1/channel`, { method, body: method === "DELETE" ? undefined : "x" });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET");
      expect((await bodyOf(response)).error).toContain("use GET");
    }
    const unknown = await fetch(`${gateway.url}/v1/nothing`);
    expect(unknown.status).toBe(404);
    expect((await bodyOf(unknown)).error).toContain("no route");
  });

  test("random junk in the query, path and token never answers 5xx", async () => {
    const junk = ["%", "%%", "%zz", "%00", "&&&", "=", "region", "country=%C0%AF", "\u00e9", "a=%ff%fe", "region=%00"];
    const statuses = new Set<number>();
    for (const piece of junk) {
      for (const target of [`/v1/channel?${piece}`, `/v1/channel?region=eu-west&${piece}`, `/${piece}`]) {
        const response = await fetch(`${gateway.url}${encodeURI(target).replace(/%25/g, "%")}`, {
          headers: { authorization: `jwt ${odooToken({ iss: "https://x:channel:1" }, gateway.key, 30)}` },
        });
        statuses.add(response.status);
        expect(response.status).toBeLessThan(500);
      }
      const bad = await fetch(`${gateway.url}/v1/channel`, { headers: { authorization: `jwt ${piece}.${piece}.${piece}` } });
      expect(bad.status).toBe(401);
    }
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    expect(statuses.has(200)).toBe(true);
  });
});

describe("logs", () => {
  test("one JSON line per channel request with issuer, region, SFU, status and milliseconds, and no secret", async () => {
    const before = gateway.logs().filter((line) => line.event === "channel").length;
    const token = odooToken({ iss: "https://logged.example.com:channel:3", key: "per-channel-secret" }, gateway.key, 30);
    await fetch(`${gateway.url}/v1/channel?region=us-east`, { headers: { authorization: `jwt ${token}` } });
    await fetch(`${gateway.url}/v1/channel`, { headers: { authorization: `jwt ${token}x` } });
    const lines = gateway.logs().filter((line) => line.event === "channel");
    expect(lines.length).toBe(before + 2);
    const [ok, refused] = lines.slice(-2);
    expect(ok).toMatchObject({ level: "info", iss: "https://logged.example.com:channel:3", region: "us-east", sfu: usEast.url, status: 200 });
    expect(typeof ok!.ms).toBe("number");
    expect(refused).toMatchObject({ iss: null, status: 401, error: "invalid token signature" });
    const text = gateway.logText();
    for (const secret of [token, token.split(".")[2]!, gateway.key, ...allSfus.map((sfu) => sfu.key), "per-channel-secret"]) {
      expect(text).not.toContain(secret);
    }
  });
});
