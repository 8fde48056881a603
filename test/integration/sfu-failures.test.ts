/** What Odoo is told when the SFU fails: never a 200 without a valid {uuid, url}. */
import { afterAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:net";
import { askChannel } from "../support/odoo.ts";
import { bodyOf } from "../support/http.ts";
import { startGateway, type TestGateway } from "../support/gateway.ts";
import { newKey } from "../support/keys.ts";
import { deadAddress, startSfu } from "../support/sfus.ts";

const stops: (() => unknown)[] = [];
afterAll(async () => {
  for (const stop of stops) await stop();
});

/** One SFU and no health monitor: each request reaches the SFU, whatever state it is in. */
function gatewayFor(address: string, env: Record<string, string> = {}): TestGateway {
  const gateway = startGateway([{ address, key: newKey() }], env, { noMonitor: true });
  stops.push(() => gateway.stop());
  return gateway;
}

function sfuAnswering(override: (request: Request) => Response | Promise<Response>) {
  const sfu = startSfu(undefined, { override });
  stops.push(() => sfu.stop());
  return sfu;
}

async function expectError(gateway: TestGateway, status: number, error: string, extra: Record<string, unknown> = {}) {
  const response = await askChannel(gateway.url, gateway.key);
  expect(response.status).toBe(status);
  const body = await bodyOf(response);
  expect(body.error).toContain(error);
  expect(body).toMatchObject(extra);
  return body;
}

describe("SFU failures", () => {
  test("no SFU configured → 503", async () => {
    const gateway = startGateway([]);
    stops.push(() => gateway.stop());
    await expectError(gateway, 503, "no SFU is configured");
  });

  test("connection refused → 502", async () => {
    const address = deadAddress();
    await expectError(gatewayFor(address), 502, "refused the connection", { sfu: address });
  });

  test("connection reset → 502", async () => {
    const server: Server = createServer((socket) => socket.resetAndDestroy()).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    stops.push(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as { port: number }).port;
    await expectError(gatewayFor(`http://127.0.0.1:${port}`), 502, "closed the connection");
  });

  test("an SFU that hangs → 504 within the deadline", async () => {
    const sfu = sfuAnswering(() => new Promise(() => {}));
    const gateway = gatewayFor(sfu.url, { SFU_GATEWAY_DEADLINE_MS: "300" });
    const started = performance.now();
    await expectError(gateway, 504, "did not answer within 300 ms");
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2500);
  });

  test("an SFU that sends headers then stalls its body → 504", async () => {
    const sfu = sfuAnswering(
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('{"uuid":'));
            },
          }),
          { headers: { "content-type": "application/json" } },
        ),
    );
    await expectError(gatewayFor(sfu.url, { SFU_GATEWAY_DEADLINE_MS: "300" }), 504, "did not answer within");
  });

  test.each([
    [500, ""],
    [401, ""],
    [404, "not found"],
    [301, ""],
  ])("SFU answers %d → 502 with its status in the body", async (status, body) => {
    const sfu = sfuAnswering(() => new Response(body, { status, headers: status === 301 ? { location: "http://elsewhere/" } : {} }));
    await expectError(gatewayFor(sfu.url), 502, `the SFU answered HTTP ${status}`, { sfu_status: status, sfu: sfu.url });
  });

  test.each([
    ["garbage", "<html>oops</html>", "not JSON"],
    ["an empty body", "", "not JSON"],
    ["no url", '{"uuid":"u"}', "url"],
    ["no uuid", '{"url":"http://sfu"}', "uuid"],
    ["a url that is not http", '{"uuid":"u","url":"sfu.example.com"}', "not an http(s) URL"],
    ["a huge body", JSON.stringify({ uuid: "u", url: "http://a", pad: "x".repeat(100_000) }), "too large"],
  ])("a 200 with %s → 502", async (_, body, reason) => {
    const sfu = sfuAnswering(() => new Response(body, { headers: { "content-type": "application/json" } }));
    await expectError(gatewayFor(sfu.url), 502, reason);
  });

  test("an SFU whose key the gateway has wrong answers 500; Odoo gets 502 with a hint", async () => {
    const sfu = startSfu();
    stops.push(() => sfu.stop());
    const body = await expectError(gatewayFor(sfu.url), 502, "answered HTTP 500", { sfu_status: 500 });
    expect(body.error).toContain("AUTH_KEY");
  });
});
