/**
 * Builds the one validated Config from the environment, the secrets file and SFU_GATEWAY_NODES.
 * Nothing here runs per request. Secrets are read at run time, never bundled into the binary.
 */
import { readFileSync, statSync } from "node:fs";
import { buildPlans } from "../routing/plans.ts";
import { REGION_COORDINATES } from "../routing/regions.ts";
import type { Env } from "./settings.ts";
import { decodeBase64Key, KeyError, shortKeyWarning } from "./keys.ts";
import { readNodes } from "./nodes.ts";
import { EMPTY_ROUTING, unservedRuleRegions } from "./routing.ts";
import { readSettings, SETTINGS } from "./settings.ts";
import { type Config, ConfigError, type RoutingRules, type SfuNode } from "./types.ts";

export { ODOO_TIMEOUT_MS } from "./settings.ts";
export const DEFAULT_SECRETS_PATH = "secrets.toml";

/** Every variable the gateway reads; any other SFU_GATEWAY_* variable is reported as a likely typo. */
export const KNOWN_VARIABLES: readonly string[] = ["SFU_GATEWAY_KEY", "SFU_GATEWAY_NODES", ...SETTINGS.map((spec) => spec.variable)];

export interface LoadOptions {
  readonly env: Env;
  /** Path of the secrets file; used only when SFU_GATEWAY_NODES is unset. */
  readonly secretsPath: string;
}

export interface Loaded {
  readonly config: Config;
  /** Things that work but deserve the operator's attention (short keys, readable secrets file...). */
  readonly warnings: readonly string[];
}

/** Loads and validates the whole configuration. Throws ConfigError listing every problem found. */
export function loadConfig({ env, secretsPath }: LoadOptions): Loaded {
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const name of Object.keys(env)) {
    if (name.startsWith("SFU_GATEWAY_") && !KNOWN_VARIABLES.includes(name)) {
      warnings.push(`${name}: unknown variable, ignored (see --help for the known ones)`);
    }
  }
  const settings = readSettings(env, problems);
  const gatewayKeys = readGatewayKeys(env, problems, warnings);
  const { sfus, routing, sfuSource } = readSfus(env, secretsPath, problems, warnings);
  if (problems.length > 0) throw new ConfigError(problems);
  if (sfus.length === 0) warnings.push(`${sfuSource}: no SFU configured; every channel request will be answered 503`);
  warnings.push(...regionCaseWarnings(sfus));
  const plans = buildPlans(sfus);
  for (const region of unservedRuleRegions(routing, (name) => plans.byRegion.has(name))) {
    warnings.push(`${sfuSource}: routing names region "${region}", which no SFU has and the built-in map does not know: its requests go to any SFU`);
  }
  if (settings.strategy === "least-loaded" && sfus.length > 0 && sfus.every((sfu) => sfu.capacity === null)) {
    warnings.push(`${sfuSource}: least-loaded without any capacity: SFUs are compared by sessions per weight, never seen as full`);
  }
  const config: Config = Object.freeze({ ...settings, gatewayKeys, sfus, routing, sfuSource });
  return { config, warnings };
}

/**
 * SFU_GATEWAY_KEY: one key, or several separated by commas while Odoo's key is being rotated
 * (a token signed with any of them is accepted).
 */
function readGatewayKeys(env: Env, problems: string[], warnings: string[]): Uint8Array[] {
  const text = env.SFU_GATEWAY_KEY;
  if (text === undefined || text.trim() === "") {
    problems.push("SFU_GATEWAY_KEY: required (the base64 key Odoo signs with, its mail.sfu_server_key)");
    return [];
  }
  const parts = text.split(",");
  const keys: Uint8Array[] = [];
  parts.forEach((part, index) => {
    const what = parts.length === 1 ? "SFU_GATEWAY_KEY" : `SFU_GATEWAY_KEY (key ${index + 1} of ${parts.length})`;
    try {
      const key = decodeBase64Key(part);
      const warning = shortKeyWarning(what, key);
      if (warning !== null) warnings.push(warning);
      keys.push(key);
    } catch (error) {
      if (!(error instanceof KeyError)) throw error;
      problems.push(`${what}: ${error.message}`);
    }
  });
  return keys;
}

function readSfus(
  env: Env,
  secretsPath: string,
  problems: string[],
  warnings: string[],
): { sfus: SfuNode[]; routing: RoutingRules; sfuSource: string } {
  const json = env.SFU_GATEWAY_NODES;
  if (json !== undefined) {
    const sfuSource = "SFU_GATEWAY_NODES";
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      problems.push(`${sfuSource}: not valid JSON (${(error as Error).message})`);
      return { sfus: [], routing: EMPTY_ROUTING, sfuSource };
    }
    const result = readNodes(parsed, sfuSource, (index) => `${sfuSource}: sfu[${index}]`);
    problems.push(...result.problems);
    warnings.push(...result.warnings);
    return { sfus: result.sfus, routing: result.routing, sfuSource };
  }
  const text = readSecretsFile(secretsPath, problems, warnings);
  if (text === undefined) return { sfus: [], routing: EMPTY_ROUTING, sfuSource: secretsPath };
  let parsed: unknown;
  try {
    parsed = Bun.TOML.parse(text);
  } catch (error) {
    problems.push(`${secretsPath}${lineOfTomlError(text, error)}: ${tomlMessage(error)}`);
    return { sfus: [], routing: EMPTY_ROUTING, sfuSource: secretsPath };
  }
  const lines = sfuTableLines(text);
  const result = readNodes(parsed, secretsPath, (index) => {
    const line = lines[index];
    return `${secretsPath}${line === undefined ? "" : ` line ${line}`}: [[sfu]] #${index + 1}`;
  });
  problems.push(...result.problems);
  warnings.push(...result.warnings);
  return { sfus: result.sfus, routing: result.routing, sfuSource: secretsPath };
}

function readSecretsFile(path: string, problems: string[], warnings: string[]): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "is a directory" : (error as Error).message;
    problems.push(`${path}: cannot read the secrets file (${reason}); list the SFUs there or in SFU_GATEWAY_NODES`);
    return undefined;
  }
  try {
    const mode = statSync(path).mode;
    if ((mode & 0o077) !== 0) {
      warnings.push(`${path}: the secrets file is readable by group or others; restrict it with: chmod 600 ${path}`);
    }
  } catch {
    // The file was just read; a stat failure here changes nothing about the configuration.
  }
  return text;
}

/** 1-based line numbers of the `[[sfu]]` table headers, in order. */
export function sfuTableLines(text: string): number[] {
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (/^\s*\[\[\s*sfu\s*\]\]\s*(#.*)?$/.test(line)) lines.push(index + 1);
  });
  return lines;
}

function tomlMessage(error: unknown): string {
  return String((error as Error)?.message ?? error).replace(/^TOML Parse error:\s*/, "") || "not valid TOML";
}

/**
 * " line N" for a TOML syntax error: the first line whose inclusion makes the document fail with the
 * same message (Bun's parser reports no usable position). Empty when it cannot be told.
 */
export function lineOfTomlError(text: string, error: unknown): string {
  const message = tomlMessage(error);
  const lines = text.split("\n");
  for (let count = 1; count <= lines.length; count++) {
    try {
      // Each prefix ends with a newline, as a line of the file does (an unterminated string at the very
      // end of the text is reported differently).
      Bun.TOML.parse(`${lines.slice(0, count).join("\n")}\n`);
    } catch (prefixError) {
      if (tomlMessage(prefixError) === message) return ` line ${count}`;
    }
  }
  return "";
}

/** A configured region that differs from a built-in one only by case never matches hints: say so. */
function regionCaseWarnings(sfus: readonly SfuNode[]): string[] {
  const builtIn = new Map([...REGION_COORDINATES.keys()].map((name) => [name.toLowerCase(), name]));
  const warned = new Set<string>();
  const warnings: string[] = [];
  for (const sfu of sfus) {
    if (sfu.region === null || warned.has(sfu.region) || REGION_COORDINATES.has(sfu.region)) continue;
    const known = builtIn.get(sfu.region.toLowerCase());
    if (known !== undefined) {
      warned.add(sfu.region);
      warnings.push(`region "${sfu.region}" (${sfu.address}) is not the built-in region "${known}": region names match exactly`);
    }
  }
  return warnings;
}
