/** Command-line arguments → what to do. Pure: no I/O. */
import { DEFAULT_SECRETS_PATH } from "./config/load.ts";

export type Command =
  | { readonly kind: "serve" | "check"; readonly secretsPath: string }
  | { readonly kind: "demo" | "help" | "version" }
  | { readonly kind: "error"; readonly message: string };

export function parseArgs(argv: readonly string[]): Command {
  let secretsPath = DEFAULT_SECRETS_PATH;
  let mode: "serve" | "check" | "demo" | "help" | "version" = "serve";
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
  sfu-gateway --help | --version

Options:
  -s, --secrets PATH   TOML file with [[sfu]] tables (address, region, key); default secrets.toml

Environment:
  SFU_GATEWAY_KEY           required: base64 key Odoo signs with (its mail.sfu_server_key)
  SFU_GATEWAY_BIND          listen address (default 0.0.0.0)
  SFU_GATEWAY_PORT          listen port (default 8071)
  SFU_GATEWAY_NODES         JSON {"sfu":[{"address","region","key"}]}; wins over the secrets file
  SFU_GATEWAY_TRUST_PROXY   true/1: keep the incoming X-Forwarded-For chain (behind your own proxy)
  SFU_GATEWAY_DEADLINE_MS   time allowed for the SFU call, below Odoo's 3000 ms (default 2500)

Exit codes: 0 clean stop, 1 runtime failure (for example the port is taken), 2 configuration error.
`;
