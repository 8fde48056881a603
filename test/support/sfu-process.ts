/**
 * A stand-in SFU (src/demo/sfu.ts) as a separate OS process, so that a test or a bench can SIGKILL
 * it as a crash would, and start it again on the same port. The same file is the child's script:
 * `bun test/support/sfu-process.ts --key <base64> --port <n>` listens on 127.0.0.1:<n>, prints
 * `READY <port>` once listening, and serves, besides the SFU routes, `GET /__test/calls` (the
 * /v1/channel requests received since it started) and `GET /__test/uuids` (the channels it created).
 */
import { type Subprocess, spawn } from "bun";
import { startDemoSfu } from "../../src/demo/sfu.ts";
import type { SfuEntry } from "./gateway.ts";
import { newKey } from "./keys.ts";

const SCRIPT = import.meta.path;
/** A cold `bun` start on a busy 2-core machine can take a while. */
const READY_WITHIN_MS = 15_000;

export interface SfuProcess {
  readonly url: string;
  readonly port: number;
  readonly key: string;
  readonly region: string | undefined;
  /** This SFU as a configuration entry. */
  readonly entry: SfuEntry;
  /** The running child's pid, or null while killed. */
  readonly pid: number | null;
  /** SIGKILLs the child and waits until it has exited (its port is then closed). */
  kill(): Promise<void>;
  /** Starts a fresh child on the same port and key (no channel survives, as with a real SFU restart). */
  restart(): Promise<void>;
  /** /v1/channel requests the running child has received. */
  calls(): Promise<number>;
  /** Uuids of the channels the running child has created. */
  uuids(): Promise<string[]>;
  /** Kills the child if it runs; idempotent. */
  stop(): Promise<void>;
}

/** A port that nothing listened on a moment ago (bound on 0 and released). */
export function freePort(): number {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = server.port as number;
  server.stop(true);
  return port;
}

/** Reads the child's stdout until its READY line; throws with what it printed if it exits or takes too long. */
async function untilReady(child: Subprocess<"ignore", "pipe", "pipe">, port: number): Promise<void> {
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), READY_WITHIN_MS);
  try {
    while (!seen.includes("READY")) {
      const { value, done } = await reader.read();
      if (done) {
        const stderr = await new Response(child.stderr).text();
        throw new Error(`the SFU process on port ${port} exited before it was ready: ${seen}${stderr}`.trim());
      }
      seen += decoder.decode(value);
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  void child.stdout.pipeTo(new WritableStream()).catch(() => {});
}

async function spawnChild(key: string, port: number): Promise<Subprocess<"ignore", "pipe", "pipe">> {
  // The port was just released (or its previous owner just killed): retry a few times if it is still held.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const child = spawn([process.execPath, SCRIPT, "--key", key, "--port", String(port)], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      await untilReady(child, port);
      return child;
    } catch (error) {
      lastError = error;
      child.kill("SIGKILL");
      await child.exited;
      await Bun.sleep(100);
    }
  }
  throw lastError;
}

/** Starts a stand-in SFU process on `port` (default: a free one) with `key` (default: a fresh one). */
export async function startSfuProcess(options: { key?: string; port?: number; region?: string } = {}): Promise<SfuProcess> {
  const key = options.key ?? newKey();
  const port = options.port ?? freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: Subprocess<"ignore", "pipe", "pipe"> | null = await spawnChild(key, port);
  const entry: SfuEntry = options.region === undefined ? { address: url, key } : { address: url, key, region: options.region };
  const kill = async () => {
    const running = child;
    child = null;
    if (running === null) return;
    running.kill("SIGKILL");
    await running.exited;
  };
  const ask = async <T>(path: string): Promise<T> => {
    if (child === null) throw new Error(`the SFU process on port ${port} is not running`);
    return (await (await fetch(`${url}${path}`)).json()) as T;
  };
  return {
    url,
    port,
    key,
    region: options.region,
    entry,
    get pid() {
      return child?.pid ?? null;
    },
    kill,
    restart: async () => {
      if (child !== null) throw new Error(`the SFU process on port ${port} is still running`);
      child = await spawnChild(key, port);
    },
    calls: () => ask<number>("/__test/calls"),
    uuids: () => ask<string[]>("/__test/uuids"),
    stop: kill,
  };
}

/** The child: one demo SFU on the given port. */
function runChild(argv: readonly string[]): void {
  const value = (flag: string) => {
    const at = argv.indexOf(flag);
    const found = at < 0 ? undefined : argv[at + 1];
    if (found === undefined) throw new Error(`sfu-process: ${flag} is required`);
    return found;
  };
  const key = value("--key");
  const port = Number(value("--port"));
  let calls = 0;
  const sfu = startDemoSfu({
    key,
    port,
    override: (request, received) => {
      if (received.path === "/v1/channel") calls++;
      if (received.path === "/__test/calls") return Response.json(calls);
      if (received.path === "/__test/uuids") return Response.json([...sfu.channels.values()].map((channel) => channel.uuid));
      return undefined;
    },
  });
  // The demo keeps every request; a long load would grow it without bound.
  setInterval(() => sfu.received.splice(0), 1000).unref();
  process.stdout.write(`READY ${sfu.port}\n`);
}

if (import.meta.main) runChild(process.argv.slice(2));
