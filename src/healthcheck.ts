/** `sfu-gateway --healthcheck`: the container health check, for images that have no curl. */
import type { Env } from "./config/settings.ts";

export const HEALTHCHECK_TIMEOUT_MS = 2000;

/** The URL of the local gateway's /health, from SFU_GATEWAY_BIND and SFU_GATEWAY_PORT. */
export function healthUrl(env: Env): string {
  const bind = env.SFU_GATEWAY_BIND?.trim() || "0.0.0.0";
  const port = env.SFU_GATEWAY_PORT?.trim() || "8071";
  const host = bind === "0.0.0.0" ? "127.0.0.1" : bind === "::" ? "[::1]" : bind.includes(":") ? `[${bind}]` : bind;
  return `http://${host}:${port}/health`;
}

/** 0 when the gateway answers /health with 200 in time, else 1; one line on stderr says why not. */
export async function healthcheck(env: Env): Promise<number> {
  const url = healthUrl(env);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(HEALTHCHECK_TIMEOUT_MS) });
    await response.arrayBuffer();
    if (response.status === 200) return 0;
    process.stderr.write(`sfu-gateway: ${url} answered HTTP ${response.status}\n`);
  } catch (error) {
    const name = (error as { name?: string }).name;
    const reason = name === "TimeoutError" ? `no answer within ${HEALTHCHECK_TIMEOUT_MS} ms` : String((error as Error)?.message ?? error);
    process.stderr.write(`sfu-gateway: ${url}: ${reason}\n`);
  }
  return 1;
}
