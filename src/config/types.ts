/** The validated configuration: built once at start-up, frozen, passed to whatever needs it. */

/** One SFU as configured. `key` is secret: it never goes into a log line, an error or a status page. */
export interface SfuNode {
  /** Position in the configured list, from 0. */
  readonly index: number;
  /** Normalised base URL (no trailing slash); also the SFU's name in logs and errors. */
  readonly address: string;
  /** Configured region name, or null when the entry has none. */
  readonly region: string | null;
  /** `${address}/v1/channel`, built once. */
  readonly channelUrl: string;
  /** The SFU's HMAC key (its `AUTH_KEY`), decoded. */
  readonly key: Uint8Array;
}

export interface Config {
  readonly bind: string;
  readonly port: number;
  /** Keys a caller's token may be signed with (the gateway key Odoo knows as `mail.sfu_server_key`). */
  readonly gatewayKeys: readonly Uint8Array[];
  /** Keep the incoming X-Forwarded-For chain (the gateway sits behind a proxy of the operator's). */
  readonly trustProxy: boolean;
  /** Time allowed for the whole SFU call of one channel request, in milliseconds. */
  readonly deadlineMs: number;
  readonly sfus: readonly SfuNode[];
  /** Where the SFU list came from: "SFU_GATEWAY_NODES", a file path, or "demo". */
  readonly sfuSource: string;
}

/** A configuration that cannot be used; each problem names the variable, file, entry or line at fault. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}
