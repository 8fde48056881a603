/** The validated configuration: built once at start-up (and at each reload), frozen, passed to whatever needs it. */
import type { AddressRule } from "../routing/cidr.ts";
import type { Settings } from "./settings.ts";

/** One SFU as configured. `key` is secret: it never goes into a log line, an error or a status page. */
export interface SfuNode {
  /** Position in the configured list, from 0. */
  readonly index: number;
  /** Normalised base URL (no trailing slash); also the SFU's name in logs, errors and the admin API. */
  readonly address: string;
  /** Configured region name, or null when the entry has none. */
  readonly region: string | null;
  /** `${address}/v1/channel`, built once. */
  readonly channelUrl: string;
  /** The SFU's HMAC key (its `AUTH_KEY`), decoded. */
  readonly key: Uint8Array;
  /** Sessions the SFU is meant to carry, or null when not declared (least-loaded strategy). */
  readonly capacity: number | null;
  /** Relative share of new channels (hash and least-loaded strategies); 1 by default. */
  readonly weight: number;
}

/** How a request that names no region is given one (see routing/caller-region.ts). */
export interface RoutingRules {
  /** Region when no other rule applies, or null. */
  readonly defaultRegion: string | null;
  /** Caller address ranges → region; the longest matching prefix wins. */
  readonly byAddress: readonly AddressRule[];
  /** Issuer host patterns (`db.example.com`, `*.eu.example.com`) → region. */
  readonly byIssuer: readonly IssuerRule[];
}

export interface IssuerRule {
  /** As written, lower-cased. */
  readonly pattern: string;
  readonly region: string;
}

export interface Config extends Settings {
  /** Keys a caller's token may be signed with (the gateway key Odoo knows as `mail.sfu_server_key`); several while rotating. */
  readonly gatewayKeys: readonly Uint8Array[];
  readonly sfus: readonly SfuNode[];
  readonly routing: RoutingRules;
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
