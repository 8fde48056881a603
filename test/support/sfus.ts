/** Fleets of stand-in SFUs (odoo/sfu's token rules) for integration tests. */
import { type DemoSfu, type DemoSfuOptions, startDemoSfu } from "../../src/demo/sfu.ts";
import type { SfuEntry } from "./gateway.ts";
import { newKey } from "./keys.ts";

export interface TestSfu extends DemoSfu {
  readonly key: string;
  readonly region: string | undefined;
  /** This SFU as a configuration entry. */
  readonly entry: SfuEntry;
  /** /v1/channel requests received. */
  channelCalls(): DemoSfu["received"];
}

export function startSfu(region?: string, options: Partial<DemoSfuOptions> = {}): TestSfu {
  const key = options.key ?? newKey();
  const sfu = startDemoSfu({ ...options, key });
  const entry: SfuEntry = region === undefined ? { address: sfu.url, key } : { address: sfu.url, key, region };
  return Object.assign(sfu, {
    key,
    region,
    entry,
    channelCalls: () => sfu.received.filter((request) => request.path === "/v1/channel"),
  });
}

/** An address on which nothing listens (a port just released). */
export function deadAddress(): string {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = server.port;
  server.stop(true);
  return `http://127.0.0.1:${port}`;
}
