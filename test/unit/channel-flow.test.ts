/**
 * The request flow of /v1/channel around the selection, without a network: handleChannel over a
 * Gateway, with fetch replaced by SFUs that answer only when the test says so. Which requests share
 * an upstream call, and when a new channel starts to count as load.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { Gateway } from "../../src/gateway.ts";
import { createLogger, memorySink } from "../../src/log.ts";
import { coalescingKey, handleChannel } from "../../src/channel/handler.ts";
import { newKey } from "../support/keys.ts";
import { odooToken } from "../support/odoo.ts";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

interface Pending {
  readonly url: string;
  answer(status?: number): void;
}

/** fetch held until `answer()`: every call is recorded, and its SFU answers a channel at its own address. */
function holdFetch(): Pending[] {
  const pending: Pending[] = [];
  globalThis.fetch = ((input: string | URL | Request) => {
    const url = String(input);
    return new Promise<Response>((resolve) => {
      const base = url.slice(0, url.indexOf("/v1/channel"));
      pending.push({
        url,
        answer: (status = 200) =>
          resolve(status === 200 ? Response.json({ uuid: crypto.randomUUID(), url: base }) : new Response("no", { status })),
      });
    });
  }) as typeof fetch;
  return pending;
}

function gatewayOf(sfus: readonly object[], env: Record<string, string> = {}) {
  const key = newKey();
  const { config } = loadConfig({ env: { SFU_GATEWAY_KEY: key, SFU_GATEWAY_NODES: JSON.stringify({ sfu: sfus }), ...env }, secretsPath: "/nonexistent" });
  return { key, gateway: new Gateway(config, createLogger(memorySink(), "debug")) };
}

const request = (key: string, iss: string, query = "") =>
  new Request(`http://gateway/v1/channel${query === "" ? "" : `?${query}`}`, { headers: { authorization: `jwt ${odooToken({ iss }, key, 30)}` } });

/** Lets the handlers run up to their upstream call. */
const settle = () => Bun.sleep(0);

describe("coalescing key", () => {
  test("the SFU's idempotency key: issuer and caller, not the hint or the query", () => {
    expect(coalescingKey("https://db:channel:1", "10.0.0.1")).toBe(coalescingKey("https://db:channel:1", "10.0.0.1"));
    expect(coalescingKey("https://db:channel:1", "10.0.0.1")).not.toBe(coalescingKey("https://db:channel:1", "10.0.0.2"));
    expect(coalescingKey("https://db:channel:1", "10.0.0.1")).not.toBe(coalescingKey("https://db:channel:2", "10.0.0.1"));
    // An issuer holding a NUL cannot pass for another caller's key.
    expect(coalescingKey("x\u000010.0.0.2", "10.0.0.1")).not.toBe(coalescingKey("x", "10.0.0.1\u000010.0.0.2"));
    expect(coalescingKey("https://db:channel:1", "10.0.0.1").startsWith("10.0.0.1\u0000")).toBe(true);
  });

  test("joins of one call that differ in hint and query share one upstream call", async () => {
    const pending = holdFetch();
    const { key, gateway } = gatewayOf([
      { address: "http://eu", key: newKey(), region: "eu-west" },
      { address: "http://us", key: newKey(), region: "us-east" },
    ]);
    const iss = "https://db.example.com:channel:7";
    const responses = ["country=FR", "country=US", "region=us-east", "webRTC=false", ""].map((query) => handleChannel(gateway, request(key, iss, query), "10.0.0.1"));
    await settle();
    expect(pending).toHaveLength(1);
    pending[0]!.answer();
    const bodies = await Promise.all(responses.map(async (response) => (await response).json()));
    expect(new Set(bodies.map((body) => JSON.stringify(body))).size).toBe(1);
    // Another caller address is another channel on the SFU: not coalesced.
    const other = handleChannel(gateway, request(key, iss), "10.0.0.2");
    await settle();
    expect(pending).toHaveLength(2);
    pending[1]!.answer();
    expect((await other).status).toBe(200);
  });
});

describe("provisional load", () => {
  test("a channel counts from the moment it is asked for, so a concurrent burst spreads by capacity", async () => {
    const pending = holdFetch();
    const { key, gateway } = gatewayOf(
      [
        { address: "http://big", key: newKey(), capacity: 300 },
        { address: "http://small", key: newKey(), capacity: 100 },
      ],
      { SFU_GATEWAY_STRATEGY: "least-loaded" },
    );
    const { fleet } = gateway.runtime;
    const [big, small] = fleet.states;
    fleet.recordLoad(big!, { sessions: 30, channels: 3, at: Date.now() });
    fleet.recordLoad(small!, { sessions: 0, channels: 0, at: Date.now() });
    // 20 requests, all selected before any SFU answers.
    const responses = Array.from({ length: 20 }, (_, i) => handleChannel(gateway, request(key, `https://db.example.com:channel:${i}`), "10.0.0.1"));
    await settle();
    expect(pending).toHaveLength(20);
    const toSmall = pending.filter((call) => call.url.startsWith("http://small/")).length;
    // Sequential filling: small gets 2 sessions per channel until it matches big's 10 %, then they share.
    expect(toSmall).toBeGreaterThanOrEqual(8);
    expect(toSmall).toBeLessThanOrEqual(10);
    expect(big!.provisionalChannels + small!.provisionalChannels).toBe(20);
    for (const call of pending) call.answer();
    expect((await Promise.all(responses)).every((response) => response.status === 200)).toBe(true);
    expect([big!.provisionalChannels, small!.provisionalChannels]).toEqual([20 - toSmall, toSmall]);
  });

  test("a failed call gives its reservation back; a pinned SFU's call reserves nothing", async () => {
    const pending = holdFetch();
    const { key, gateway } = gatewayOf([{ address: "http://only", key: newKey(), capacity: 100 }], {
      SFU_GATEWAY_STRATEGY: "least-loaded",
      SFU_GATEWAY_MAX_ATTEMPTS: "1",
    });
    const [only] = gateway.runtime.fleet.states;
    const failing = handleChannel(gateway, request(key, "https://db.example.com:channel:1"), "10.0.0.1");
    await settle();
    expect(only!.provisionalChannels).toBe(1);
    pending[0]!.answer(500);
    expect((await failing).status).toBe(502);
    expect(only!.provisionalChannels).toBe(0);

    const granted = handleChannel(gateway, request(key, "https://db.example.com:channel:2"), "10.0.0.1");
    await settle();
    pending[1]!.answer();
    expect((await granted).status).toBe(200);
    expect(only!.provisionalChannels).toBe(1);
    // The same issuer again: pinned to the SFU that has its channel, no new load.
    const again = handleChannel(gateway, request(key, "https://db.example.com:channel:2"), "10.0.0.1");
    await settle();
    pending[2]!.answer();
    expect((await again).status).toBe(200);
    expect(only!.provisionalChannels).toBe(1);
  });

  test("a strategy that reads no load reserves nothing: nothing piles up in round-robin or hash", async () => {
    for (const strategy of ["round-robin", "hash"]) {
      const pending = holdFetch();
      const { key, gateway } = gatewayOf([{ address: "http://only", key: newKey(), capacity: 100 }], { SFU_GATEWAY_STRATEGY: strategy });
      const [only] = gateway.runtime.fleet.states;
      const answers = [1, 2, 3].map((id) => handleChannel(gateway, request(key, `https://db.example.com:channel:${id}`), "10.0.0.1"));
      await settle();
      for (const call of pending) call.answer();
      expect((await Promise.all(answers)).map((response) => response.status)).toEqual([200, 200, 200]);
      expect(only!.provisionalChannels).toBe(0);
    }
  });
});
