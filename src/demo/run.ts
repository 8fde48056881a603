/**
 * `sfu-gateway --demo`: the gateway with a generated key and two built-in demo SFUs, and a
 * ready-to-paste request. Nothing to configure; nothing is read from disk.
 */
import { defaultSettings, type Env, readSettings } from "../config/settings.ts";
import { EMPTY_ROUTING } from "../config/routing.ts";
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
  // The demo listens on loopback unless told otherwise; every other setting reads as usual.
  const settings = readSettings({ SFU_GATEWAY_BIND: "127.0.0.1", ...env }, problems);
  if (problems.length > 0) fail(EXIT_CONFIG, `configuration error:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);

  const randomKey = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32)));
  const gatewayKey = randomKey();
  const sfus: SfuNode[] = DEMO_REGIONS.map((region, index) => {
    const key = randomKey();
    const sfu = startDemoSfu({ key: key.toString("base64") });
    return { index, address: sfu.url, region, key: new Uint8Array(key), channelUrl: `${sfu.url}/v1/channel`, capacity: 100, weight: 1 };
  });
  const config: Config = Object.freeze({
    ...defaultSettings(),
    ...settings,
    gatewayKeys: [new Uint8Array(gatewayKey)],
    sfus,
    routing: EMPTY_ROUTING,
    sfuSource: "demo",
  });
  const { server } = serve(config, createLogger(undefined, config.logLevel));

  const bind = config.bind;
  const host = bind === "0.0.0.0" || bind === "::" ? "127.0.0.1" : bind.includes(":") ? `[${bind}]` : bind;
  const base = `http://${host}:${server.port}`;
  // The claims Odoo sends (iss = "<web.base.url>:channel:<id>", key = its sfu_local_key), signed as Odoo signs.
  const token = odooToken(
    { iss: "http://localhost:8069:channel:1", key: crypto.randomUUID() },
    gatewayKey.toString("base64"),
    TOKEN_TTL_SECONDS,
  );
  process.stdout.write(`
sfu-gateway demo: a generated gateway key and two demo SFUs
${sfus.map((sfu) => `  ${sfu.region!.padEnd(8)} ${sfu.address}`).join("\n")}

Ask for a channel the way Odoo does (the token is valid for one hour):

  curl -s -H 'Authorization: jwt ${token}' '${base}/v1/channel?region=eu-west'

Swagger UI:  ${base}/swagger  (Authorize with the token above)
Status page: ${base}/status
Stop with Ctrl-C.

`);
}
