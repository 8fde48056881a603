/**
 * The native HS256 verifier is proven against jose, the reference: on generated tokens and on every
 * malformed case, it accepts exactly what jose's jwtVerify (HS256 only, exp required, no clock
 * tolerance) accepts; and jose verifies every token the signer makes.
 */
import { describe, expect, test } from "bun:test";
import { createHmac, randomBytes } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { equalBytes } from "../../src/auth/constant-time.ts";
import { Hs256Signer, Hs256Verifier } from "../../src/auth/hs256.ts";
import { odooToken, pythonJson } from "../../src/demo/odoo-token.ts";

const NOW = 1_800_000_000;
const key = new Uint8Array(randomBytes(32));
const otherKey = new Uint8Array(randomBytes(32));
const verifier = new Hs256Verifier([key]);

async function joseAccepts(token: string, withKey: Uint8Array = key, now = NOW): Promise<boolean> {
  try {
    await jwtVerify(token, withKey, { algorithms: ["HS256"], requiredClaims: ["exp"], currentDate: new Date(now * 1000) });
    return true;
  } catch {
    return false;
  }
}

const oursAccepts = (token: string, now = NOW) => typeof verifier.verify(token, now) !== "string";

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64url");
const hmac = (input: string, withKey: Uint8Array = key, algorithm = "sha256") =>
  createHmac(algorithm, withKey).update(input).digest("base64url");
const make = (header: unknown, payload: unknown, withKey: Uint8Array = key) => {
  const input = `${b64(typeof header === "string" ? header : JSON.stringify(header))}.${b64(typeof payload === "string" ? payload : JSON.stringify(payload))}`;
  return `${input}.${hmac(input, withKey)}`;
};

/** A small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]! };
}

const HEADERS: readonly unknown[] = [
  { alg: "HS256" },
  { alg: "HS256", typ: "JWT" },
  '{"typ": "JWT", "alg": "HS256"}',
  `\uFEFF{"alg":"HS256"}`,
  { alg: "none" },
  { alg: "HS512" },
  { alg: "hs256" },
  { alg: "" },
  { alg: 5 },
  {},
  { alg: "HS256", crit: ["b64"], b64: true },
  { alg: "HS256", crit: ["b64"], b64: false },
  { alg: "HS256", crit: ["b64"], b64: "yes" },
  { alg: "HS256", crit: ["b64"] },
  { alg: "HS256", crit: ["b64", "b64"], b64: true },
  { alg: "HS256", crit: ["exp"], exp: 1 },
  { alg: "HS256", crit: [] },
  { alg: "HS256", crit: "b64", b64: true },
  { alg: "HS256", crit: [""] },
  { alg: "HS256", b64: false },
  { alg: "HS256", kid: "k1", typ: "at+jwt" },
  '["HS256"]',
  "null",
  '{"alg":"HS256"',
];

const TIMES: readonly unknown[] = [NOW + 30, NOW + 1, NOW, NOW - 1, NOW - 3600, NOW + 0.5, NOW - 0.5, "soon", null, 1e400, -1, true];

function randomPayload(random: ReturnType<typeof prng>): unknown {
  const shape = random.next();
  if (shape < 0.03) return "[1,2]";
  if (shape < 0.05) return "not json";
  if (shape < 0.07) return "\uFEFF{\"exp\":" + (NOW + 30) + "}";
  const claims: Record<string, unknown> = {};
  if (random.next() < 0.9) claims.iss = random.pick(["https://db.example.com:channel:7", "", 42, null]);
  if (random.next() < 0.5) claims.key = random.pick(["0b6f1c2e-9a47-4d0c-8f3e-5a1b2c3d4e5f", "kX9_", 7]);
  if (random.next() < 0.9) claims.exp = random.pick(TIMES);
  if (random.next() < 0.3) claims.nbf = random.pick(TIMES);
  if (random.next() < 0.3) claims.iat = random.pick(TIMES);
  if (random.next() < 0.2) claims.aud = random.pick(["odoo", ["a", "b"], 3]);
  if (random.next() < 0.2) claims.nested = { deep: [1, { x: "é" }] };
  return claims;
}

/** Ways of spoiling or respelling the signature and structure of a good token. */
const MUTATIONS: readonly ((token: string) => string)[] = [
  (t) => t,
  (t) => t,
  (t) => t,
  (t) => `${t}=`,
  (t) => `${t.slice(0, -1)}${t.at(-1) === "A" ? "B" : "A"}`,
  (t) => t.slice(0, -2),
  (t) => t.replace(/-/g, "+").replace(/_/g, "/"),
  (t) => `${t.slice(0, -4)} ${t.slice(-4)}`,
  (t) => `${t}.`,
  (t) => t.split(".").slice(0, 2).join("."),
  (t) => `${t.split(".").slice(0, 2).join(".")}.`,
  (t) => `.${t.split(".").slice(1).join(".")}`,
  (t) => t.replace(".", ".\u00e9"),
  (t) => {
    // Another last character with the same significant bits (non-canonical base64url).
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(t.at(-1)!);
    return `${t.slice(0, -1)}${alphabet[(last & ~3) | ((last + 1) & 3)]}`;
  },
];

describe("native HS256 verification accepts exactly what jose accepts", () => {
  test("on 3000 generated tokens", async () => {
    const random = prng(20261203);
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const signingKey = random.next() < 0.1 ? otherKey : key;
      // Half the tokens start from a well-formed header and keep their signature, so that both
      // outcomes are well represented.
      const header = random.next() < 0.5 ? { alg: "HS256", typ: "JWT" } : random.pick(HEADERS);
      const mutate = random.next() < 0.5 ? (t: string) => t : random.pick(MUTATIONS);
      const token = mutate(make(header, randomPayload(random), signingKey));
      const expected = await joseAccepts(token);
      if (oursAccepts(token) !== expected) throw new Error(`disagreement with jose (jose: ${expected}) on case ${i}: ${token}`);
      if (expected) accepted++;
      else rejected++;
    }
    // Both outcomes are well represented, so the agreement means something.
    expect(accepted).toBeGreaterThan(200);
    expect(rejected).toBeGreaterThan(300);
  });

  const good = { iss: "https://db.example.com:channel:1", exp: NOW + 30 };
  const cases: [string, string][] = [
    ["a good token", make({ alg: "HS256", typ: "JWT" }, good)],
    ["Odoo's header", make('{"typ": "JWT", "alg": "HS256"}', good)],
    ["signed with another key", make({ alg: "HS256" }, good, otherKey)],
    ["alg none, empty signature", `${b64('{"alg":"none"}')}.${b64(JSON.stringify(good))}.`],
    ["alg HS512 with an HS512 signature", (() => {
      const input = `${b64('{"alg":"HS512"}')}.${b64(JSON.stringify(good))}`;
      return `${input}.${hmac(input, key, "sha512")}`;
    })()],
    ["alg RS256", make({ alg: "RS256" }, good)],
    ["no exp", make({ alg: "HS256" }, { iss: "x" })],
    ["exp == now", make({ alg: "HS256" }, { ...good, exp: NOW })],
    ["exp == now + 1", make({ alg: "HS256" }, { ...good, exp: NOW + 1 })],
    ["expired a second ago", make({ alg: "HS256" }, { ...good, exp: NOW - 1 })],
    ["exp as a string", make({ alg: "HS256" }, { ...good, exp: String(NOW + 30) })],
    ["nbf in the future", make({ alg: "HS256" }, { ...good, nbf: NOW + 1 })],
    ["nbf now", make({ alg: "HS256" }, { ...good, nbf: NOW })],
    ["iat in the future (jose has no bound without maxTokenAge)", make({ alg: "HS256" }, { ...good, iat: NOW + 3600 })],
    ["iat null", make({ alg: "HS256" }, { ...good, iat: null })],
    ["payload not JSON", make({ alg: "HS256" }, "{")],
    ["payload an array", make({ alg: "HS256" }, "[]")],
    ["payload invalid UTF-8", (() => {
      const input = `${b64('{"alg":"HS256"}')}.${b64(Buffer.from([0x7b, 0xff, 0x7d]))}`;
      return `${input}.${hmac(input)}`;
    })()],
    ["two segments", "abc.def"],
    ["four segments", `${make({ alg: "HS256" }, good)}.x`],
    ["empty", ""],
    ["dots only", ".."],
    ["header segment in standard base64 alphabet", make({ alg: "HS256", typ: "JWT?>>" }, good).replace(/_/g, "/")],
  ];

  test.each(cases)("%s", async (_, token) => {
    expect(oursAccepts(token)).toBe(await joseAccepts(token));
  });

  test("the named cases include both outcomes", async () => {
    const outcomes = await Promise.all(cases.map(([, token]) => joseAccepts(token)));
    expect(outcomes.filter(Boolean).length).toBeGreaterThanOrEqual(4);
    expect(outcomes.filter((ok) => !ok).length).toBeGreaterThanOrEqual(15);
  });

  test("refusals say why", () => {
    expect(verifier.verify(make({ alg: "HS256" }, { iss: "x", exp: NOW - 1 }), NOW)).toBe("token expired");
    expect(verifier.verify(make({ alg: "HS256" }, { iss: "x", exp: NOW + 9, nbf: NOW + 5 }), NOW)).toBe("token not valid yet (nbf)");
    expect(verifier.verify(make({ alg: "HS384" }, { iss: "x", exp: NOW + 9 }), NOW)).toBe("token algorithm must be HS256");
    expect(verifier.verify(make({ alg: "HS256" }, { iss: "x", exp: NOW + 9 }, otherKey), NOW)).toBe("invalid token signature");
    expect(verifier.verify(make({ alg: "HS256" }, { iss: "x" }), NOW)).toBe("token has no exp claim");
    expect(verifier.verify("a.b", NOW)).toBe("malformed token");
  });

  test("with several keys, a token signed with any of them verifies", async () => {
    const both = new Hs256Verifier([otherKey, key]);
    const token = make({ alg: "HS256" }, { iss: "x", exp: NOW + 9 });
    expect(typeof both.verify(token, NOW)).toBe("object");
    expect(typeof both.verify(make({ alg: "HS256" }, { iss: "x", exp: NOW + 9 }, otherKey), NOW)).toBe("object");
    expect(both.verify(make({ alg: "HS256" }, { iss: "x", exp: NOW + 9 }, new Uint8Array(32)), NOW)).toBe("invalid token signature");
  });
});

describe("signing", () => {
  const sfuKey = new Uint8Array(randomBytes(32));
  const signer = new Hs256Signer(sfuKey);

  test("jose verifies every re-signed token, and the claims are byte for byte the caller's", async () => {
    const random = prng(7);
    let checked = 0;
    for (let i = 0; i < 400; i++) {
      const token = random.pick(MUTATIONS.slice(0, 4))(make(random.pick(HEADERS.slice(0, 4)), randomPayload(random)));
      const verified = verifier.verify(token, NOW);
      if (typeof verified === "string") continue;
      const resigned = signer.sign(verified.payload);
      const { payload, protectedHeader } = await jwtVerify(resigned, sfuKey, {
        algorithms: ["HS256"],
        currentDate: new Date(NOW * 1000),
      });
      expect(protectedHeader).toEqual({ alg: "HS256", typ: "JWT" });
      expect(payload).toEqual(verified.claims as typeof payload);
      const original = Uint8Array.fromBase64(token.split(".")[1]!, { alphabet: "base64url" });
      expect(Uint8Array.fromBase64(resigned.split(".")[1]!, { alphabet: "base64url" })).toEqual(original);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });

  test("an Odoo token keeps all its claims in Odoo's order and spacing", async () => {
    const gatewayKey = randomBytes(32).toString("base64");
    const odoo = odooToken({ iss: "https://db.example.com:channel:9", key: "5fd5ae99-5bca-4eb5-9107-7f8c53acb909" }, gatewayKey, 30);
    expect(odoo.split(".")[0]).toBe("eyJ0eXAiOiAiSldUIiwgImFsZyI6ICJIUzI1NiJ9");
    const verified = new Hs256Verifier([new Uint8Array(Buffer.from(gatewayKey, "base64"))]).verify(odoo);
    if (typeof verified === "string") throw new Error(verified);
    const resigned = signer.sign(verified.payload);
    const text = Buffer.from(resigned.split(".")[1]!, "base64url").toString();
    expect(text).toBe(pythonJson({ iss: "https://db.example.com:channel:9", key: "5fd5ae99-5bca-4eb5-9107-7f8c53acb909", exp: verified.claims.exp }));
    expect(await jwtVerify(resigned, sfuKey, { algorithms: ["HS256"] })).toBeTruthy();
  });

  test("signClaims makes what jose's SignJWT makes", async () => {
    const claims = { iss: "a", exp: NOW + 5 };
    const ours = signer.signClaims(claims);
    const theirs = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(sfuKey);
    expect(ours).toBe(theirs);
  });
});

describe("constant-time comparison", () => {
  test.each([
    [[1, 2, 3], [1, 2, 3], true],
    [[1, 2, 3], [1, 2, 4], false],
    [[0, 2, 3], [1, 2, 3], false],
    [[1, 2], [1, 2, 3], false],
    [[], [], true],
  ])("%p vs %p → %p", (a, b, equal) => {
    expect(equalBytes(new Uint8Array(a), new Uint8Array(b))).toBe(equal);
  });
});
