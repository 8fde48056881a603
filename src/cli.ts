/** Command-line arguments → what to do. Pure: no I/O. */
import { DEFAULT_SECRETS_PATH } from "./config/load.ts";
import { SETTINGS } from "./config/settings.ts";

/** One line per variable: name, help, default (from the settings table, so help and code agree). */
function environmentHelp(): string {
  const rows: [string, string][] = [
    ["SFU_GATEWAY_KEY", "required: the base64 key Odoo signs with (its mail.sfu_server_key); several, comma-separated, while rotating"],
    ["SFU_GATEWAY_NODES", 'JSON {"sfu":[{"address","key","region"?,"capacity"?,"weight"?}],"routing"?:{...}}; wins over the secrets file'],
    ...SETTINGS.map((spec): [string, string] => [spec.variable, spec.fallback === "" ? spec.help : `${spec.help} (default ${spec.fallback})`]),
  ];
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  return rows.map(([name, help]) => `  ${name.padEnd(width)}${help}`).join("\n");
}

export type Command =
  | { readonly kind: "serve" | "check"; readonly secretsPath: string }
  | { readonly kind: "demo" | "help" | "version" | "healthcheck" }
  | { readonly kind: "error"; readonly message: string };

export function parseArgs(argv: readonly string[]): Command {
  let secretsPath = DEFAULT_SECRETS_PATH;
  let mode: "serve" | "check" | "demo" | "help" | "version" | "healthcheck" = "serve";
  const setMode = (next: typeof mode, flag: string): string | null => {
    if (mode !== "serve" && mode !== next) return `${flag} cannot be combined with --${mode}`;
    mode = next;
    return null;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let problem: string | null = null;
    if (arg === "-h" || arg === "--help") problem = setMode("help", arg);
    else if (arg === "-V" || arg === "--version") problem = setMode("version", arg);
    else if (arg === "--check") problem = setMode("check", arg);
    else if (arg === "--demo") problem = setMode("demo", arg);
    else if (arg === "--healthcheck") problem = setMode("healthcheck", arg);
    else if (arg === "-s" || arg === "--secrets") {
      const value = argv[++i];
      if (value === undefined || value === "") return { kind: "error", message: `${arg} needs a file path` };
      secretsPath = value;
    } else if (arg.startsWith("--secrets=")) {
      secretsPath = arg.slice("--secrets=".length);
      if (secretsPath === "") return { kind: "error", message: "--secrets= needs a file path" };
    } else return { kind: "error", message: `unknown argument "${arg}" (see --help)` };
    if (problem !== null) return { kind: "error", message: problem };
  }
  if (mode === "serve" || mode === "check") return { kind: mode, secretsPath };
  return { kind: mode };
}

export const HELP = `sfu-gateway: a gateway between Odoo and a fleet of Odoo SFU servers

Usage:
  sfu-gateway [--secrets PATH]   serve (the SFU list comes from SFU_GATEWAY_NODES or PATH)
  sfu-gateway --check [--secrets PATH]
                                 validate the configuration, print a summary without keys, exit 0 or 2
  sfu-gateway --demo             run with a generated key and two built-in demo SFUs
  sfu-gateway --healthcheck      ask the gateway running here (SFU_GATEWAY_BIND/PORT) for /health:
                                 exit 0 when it answers 200 within 2 s, else 1 (for container health checks)
  sfu-gateway --help | --version

Options:
  -s, --secrets PATH   TOML file with [[sfu]] tables (address, key, region, capacity, weight) and an
                       optional [routing] table; default secrets.toml. Re-read on SIGHUP.

Environment:
${environmentHelp()}

Exit codes: 0 clean stop, 1 runtime failure (for example the port is taken), 2 configuration error.
`;
