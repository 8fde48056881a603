/**
 * `sfu-gateway --demo`: the gateway with a generated key and two built-in demo SFUs, and a
 * ready-to-paste request. Nothing to configure; nothing is read from disk.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { readInteger, type Env } from "../config/env.ts";
import { DEFAULT_DEADLINE_MS, DEFAULT_PORT } from "../config/load.ts";
import type { Config, SfuNode } from "../config/types.ts";
import { EXIT_CONFIG, fail } from "../exit.ts";
import { createLogger } from "../log.ts";
import { serve } from "../serve.ts";
import { odooToken } from "./odoo-token.ts";
import { startDemoSfu } from "./sfu.ts";

const DEMO_REGIONS = ["eu-west", "us-east"] as const;
const TOKEN_TTL_SECONDS = 3600;

export function runDemo(env: Env): void {
  const problems: string[] = [];
  const port = readInteger(env, "SFU_GATEWAY_PORT", DEFAULT_PORT, 0, 65535, problems);
  if (problems.length > 0) fail(EXIT_CONFIG, problems.join("\n"));
  const bind = env.SFU_GATEWAY_BIND?.trim() || "127.0.0.1";

  const gatewayKey = randomBytes(32);
  const sfus: SfuNode[] = DEMO_REGIONS.map((region, index) => {
    const key = randomBytes(32);
    const sfu = startDemoSfu({ key: key.toString("base64") });
    return { index, address: sfu.url, region, key: new Uint8Array(key), channelUrl: `${sfu.url}/v1/channel` };
  });
  const config: Config = Object.freeze({
    bind,
    port,
    trustProxy: false,
    deadlineMs: DEFAULT_DEADLINE_MS,
    gatewayKeys: [new Uint8Array(gatewayKey)],
    sfus,
    sfuSource: "demo",
  });
  const app = serve(config, createLogger());

  const host = bind === "0.0.0.0" || bind === "::" ? "127.0.0.1" : bind.includes(":") ? `[${bind}]` : bind;
  const base = `http://${host}:${app.server!.port}`;
  // The claims Odoo sends (iss = "<web.base.url>:channel:<id>", key = its sfu_local_key), signed as Odoo signs.
  const token = odooToken(
    { iss: "http://localhost:8069:channel:1", key: randomUUID() },
    gatewayKey.toString("base64"),
    TOKEN_TTL_SECONDS,
  );
  process.stdout.write(`
sfu-gateway demo: a generated gateway key and two demo SFUs
${sfus.map((sfu) => `  ${sfu.region!.padEnd(8)} ${sfu.address}`).join("\n")}

Ask for a channel the way Odoo does (the token is valid for one hour):

  curl -s -H 'Authorization: jwt ${token}' '${base}/v1/channel?region=eu-west'

Swagger UI: ${base}/swagger  (Authorize with the token above)
Stop with Ctrl-C.

`);
}
