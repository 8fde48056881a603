/**
 * The compiled executable under the operations an operator performs on it: SIGHUP and file-watch
 * reloads, a graceful stop under load (SIGTERM), a stop that runs out of time, the container health
 * check (--healthcheck) and the log level. As in binary.test.ts, dist/sfu-gateway is copied alone
 * into an empty folder and configured only through its environment and a secrets file there.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, renameSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { LoneBinary } from "../support/binary.ts";
import { newKey } from "../support/keys.ts";
import { odooClaims, odooToken } from "../support/odoo.ts";
import { startSfu, type TestSfu } from "../support/sfus.ts";

const READY_WITHIN_MS = 15_000;
/** How long a log line or a reload may take to show (logs are flushed every 100 ms). */
const SHOWS_WITHIN_MS = 10_000;
const TEST_TIMEOUT_MS = 30_000;
setDefaultTimeout(TEST_TIMEOUT_MS);

const lone = new LoneBinary("sfu-gateway-operations");
const spawned: Bun.Subprocess[] = [];
const sfus: TestSfu[] = [];


/** `[[sfu]]` tables for these SFUs. */
const tomlOf = (list: readonly TestSfu[]) =>
  list.map((one) => `[[sfu]]\naddress = "${one.url}"\nkey = "${one.key}"\n${one.region === undefined ? "" : `region = "${one.region}"\n`}`).join("\n");

/** Writes a file in the binary's folder, in place, mode 600; returns its name (relative to that folder). */
function writeInFolder(name: string, text: string): string {
  lone.path();
  writeFileSync(join(lone.folder, name), text);
  chmodSync(join(lone.folder, name), 0o600);
  return name;
}

/** Replaces a file of the binary's folder the way editors and config tools do: a new file renamed over it. */
function replaceInFolder(name: string, text: string): void {
  const temporary = writeInFolder(`.${name}.new`, text);
  renameSync(join(lone.folder, temporary), join(lone.folder, name));
}

function sfu(region?: string, options: Parameters<typeof startSfu>[1] = {}): TestSfu {
  const started = startSfu(region, options);
  sfus.push(started);
  return started;
}

/** An SFU whose /v1/channel answers a valid channel after `ms` (never, for Infinity). */
function slowSfu(ms: number): TestSfu {
  let url = "";
  const one = sfu("eu-west", {
    override: (request) => {
      if (new URL(request.url).pathname !== "/v1/channel") return undefined;
      if (ms === Infinity) return new Promise<Response>(() => {});
      return Bun.sleep(ms).then(() => Response.json({ uuid: crypto.randomUUID(), url }));
    },
  });
  url = one.url;
  return one;
}

function freePort(): number {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = server.port as number;
  server.stop(true);
  return port;
}

/** A stream read as it comes, so a test can wait for a log line while the process runs. */
function collect(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  })();
  return {
    done,
    text: () => text,
    /** The complete JSON lines so far. */
    lines: () =>
      text
        .split("\n")
        .slice(0, -1)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

async function until<T>(find: () => T | undefined | false | Promise<T | undefined | false>, what: string, withinMs = SHOWS_WITHIN_MS): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const found = await find();
    if (found !== undefined && found !== false) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

interface Running {
  readonly proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  readonly url: string;
  readonly key: string;
  readonly env: Record<string, string>;
  readonly stdout: ReturnType<typeof collect>;
  readonly stderr: ReturnType<typeof collect>;
  /** Waits for the log line with this event (and these fields). */
  line(event: string, fields?: Record<string, unknown>): Promise<Record<string, unknown>>;
  status(): Promise<{ config: { generation: number }; sfus: { address: string; draining: boolean }[] }>;
  ask(query?: string, headers?: Record<string, string>): Promise<Response>;
}

/** Starts the binary as a server on a free port and waits until /health answers. */
async function serve(args: readonly string[], extraEnv: Record<string, string>): Promise<Running> {
  const key = newKey();
  const port = String(freePort());
  // Only the given variables: nothing leaks in from the environment the tests run in.
  const env = { SFU_GATEWAY_KEY: key, SFU_GATEWAY_BIND: "127.0.0.1", SFU_GATEWAY_PORT: port, ...extraEnv };
  const proc = Bun.spawn([lone.path(), ...args], { cwd: lone.folder, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  spawned.push(proc);
  const stdout = collect(proc.stdout);
  const stderr = collect(proc.stderr);
  const url = `http://127.0.0.1:${port}`;
  await until(async () => {
    if (proc.exitCode !== null) throw new Error(`sfu-gateway exited with ${proc.exitCode} before serving: ${stderr.text()}`);
    return fetch(`${url}/health`).then(
      (response) => response.status === 200,
      () => false,
    );
  }, `${url}/health`, READY_WITHIN_MS);
  const matches = (line: Record<string, unknown>, event: string, fields: Record<string, unknown>) =>
    line.event === event && Object.entries(fields).every(([name, value]) => JSON.stringify(line[name]) === JSON.stringify(value));
  return {
    proc,
    url,
    key,
    env,
    stdout,
    stderr,
    line: (event, fields = {}) => until(() => stdout.lines().find((line) => matches(line, event, fields)), `a "${event}" log line ${JSON.stringify(fields)}`),
    status: async () => (await (await fetch(`${url}/status/json`)).json()) as Awaited<ReturnType<Running["status"]>>,
    ask: (query = "", headers = {}) =>
      fetch(`${url}/v1/channel${query === "" ? "" : `?${query}`}`, {
        headers: { authorization: `jwt ${odooToken(odooClaims("B"), key, 30)}`, ...headers },
      }),
  };
}

/** Runs the binary to its end. */
async function run(args: readonly string[], env: Record<string, string>) {
  const proc = Bun.spawn([lone.path(), ...args], { cwd: lone.folder, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  spawned.push(proc);
  const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

afterAll(async () => {
  for (const proc of spawned) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  await Promise.all(spawned.map((proc) => proc.exited));
  await Promise.all(sfus.map((one) => one.stop()));
  lone.remove();
});

const addressesOf = async (gateway: Running) => (await gateway.status()).sfus.map((one) => one.address);

describe("SIGHUP", () => {
  test("reloads the secrets file; an invalid one is refused with a log line and the gateway keeps serving", async () => {
    const eu = sfu("eu-west");
    const us = sfu("us-east");
    const name = writeInFolder("sighup.toml", tomlOf([eu]));
    const gateway = await serve(["--secrets", name], {});
    expect(await addressesOf(gateway)).toEqual([eu.url]);

    writeInFolder(name, tomlOf([eu, us]));
    gateway.proc.kill("SIGHUP");
    expect(await gateway.line("reloaded", { trigger: "SIGHUP" })).toMatchObject({ generation: 2, added: [us.url], removed: [], kept: [eu.url] });
    expect(await addressesOf(gateway)).toEqual([eu.url, us.url]);
    const served = await gateway.ask("region=us-east");
    expect(served.status).toBe(200);
    expect(((await served.json()) as { url: string }).url).toBe(us.url);

    // Five characters cannot be base64 (and upper-case Z never shows in a log line's UUIDs).
    writeInFolder(name, `${tomlOf([eu])}\n[[sfu]]\naddress = "${us.url}"\nkey = "ZZZZZ"\n`);
    gateway.proc.kill("SIGHUP");
    const refused = await gateway.line("reload-refused", { trigger: "SIGHUP" });
    expect(refused).toMatchObject({ level: "error", kept_generation: 2 });
    expect((refused.problems as string[]).join("\n")).toMatch(new RegExp(`${name.replace(".", "\\.")} line \\d+: \\[\\[sfu\\]\\] #2`));
    expect(gateway.stdout.text()).not.toContain("ZZZZZ");
    // Still serving, on the configuration it had.
    expect(gateway.proc.exitCode).toBeNull();
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    expect((await gateway.status()).config.generation).toBe(2);
    expect(await addressesOf(gateway)).toEqual([eu.url, us.url]);
    expect((await gateway.ask("region=us-east")).status).toBe(200);

    gateway.proc.kill("SIGTERM");
    expect(await gateway.proc.exited).toBe(0);
  });
});

describe("SFU_GATEWAY_WATCH=true", () => {
  test("reloads when the secrets file is rewritten in place, and when it is replaced by a rename, again and again", async () => {
    const [a, b, c] = [sfu("eu-west"), sfu("eu-west"), sfu("eu-west")];
    const name = writeInFolder("watched.toml", tomlOf([a]));
    const gateway = await serve(["--secrets", name], { SFU_GATEWAY_WATCH: "true" });
    const reloads = () => gateway.stdout.lines().filter((line) => line.event === "reloaded");
    const expectSfus = async (list: readonly TestSfu[], reloadsSoFar: number) => {
      await until(async () => JSON.stringify(await addressesOf(gateway)) === JSON.stringify(list.map((one) => one.url)), `the SFUs ${list.map((one) => one.url)}`);
      await until(() => reloads().length >= reloadsSoFar, `reload ${reloadsSoFar}`);
      expect(reloads().at(-1)).toMatchObject({ trigger: "file change" });
    };

    writeInFolder(name, tomlOf([a, b]));
    await expectSfus([a, b], 1);
    replaceInFolder(name, tomlOf([a, b, c]));
    await expectSfus([a, b, c], 2);
    // The watch survives the rename: the file now is another inode.
    replaceInFolder(name, tomlOf([c]));
    await expectSfus([c], 3);
    writeInFolder(name, tomlOf([b, c]));
    await expectSfus([b, c], 4);
    // An invalid rewrite is refused; the running configuration stays.
    replaceInFolder(name, "[[sfu]]\naddress = 1\n");
    expect(await gateway.line("reload-refused", { trigger: "file change" })).toMatchObject({ level: "error" });
    expect(await addressesOf(gateway)).toEqual([b.url, c.url]);
    expect((await gateway.ask()).status).toBe(200);
    // Other files in the folder do not trigger reloads.
    const count = reloads().length + gateway.stdout.lines().filter((line) => line.event === "reload-refused").length;
    writeInFolder("unrelated.toml", "x = 1\n");
    await Bun.sleep(600);
    expect(reloads().length + gateway.stdout.lines().filter((line) => line.event === "reload-refused").length).toBe(count);

    gateway.proc.kill("SIGTERM");
    expect(await gateway.proc.exited).toBe(0);
  });
});

/** Opens a raw HTTP/1.1 connection, asks `path` on it and keeps it open; reports when the server closes it. */
async function keptAlive(url: string, path: string) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = "";
  let closedAt: number | null = null;
  socket.on("data", (data) => void (received += data.toString()));
  socket.on("close", () => void (closedAt = Date.now()));
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  await until(() => /\r\n\r\n[\s\S]*\}$/.test(received), `the answer to ${path}`);
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(received)?.[1]), closedAt: () => closedAt, destroy: () => socket.destroy() };
}

describe("SIGTERM", () => {
  test("during 10 slow requests: none is lost, new connections are refused, a repeated signal changes nothing, exit 0", async () => {
    const slow = slowSfu(1000);
    const gateway = await serve([], {
      SFU_GATEWAY_NODES: JSON.stringify({ sfu: [slow.entry] }),
      SFU_GATEWAY_DEADLINE_MS: "2900",
      SFU_GATEWAY_ATTEMPT_TIMEOUT_MS: "2900",
    });
    const idle = await keptAlive(gateway.url, "/ready");
    expect(idle.status).toBe(200);

    const finished: { status: number; at: number }[] = [];
    const requests = Array.from({ length: 10 }, () =>
      gateway.ask().then(
        async (response) => {
          await response.arrayBuffer();
          finished.push({ status: response.status, at: Date.now() });
        },
        (error) => void finished.push({ status: -1, at: Date.now(), ...{ error: String(error) } }),
      ),
    );
    await until(() => slow.channelCalls().length >= 10, "the 10 requests to reach the SFU");
    gateway.proc.kill("SIGTERM");

    expect(await gateway.line("stopping", { signal: "SIGTERM" })).toMatchObject({ inflight: 10 });
    // A supervisor that signals again changes nothing: the stop goes on.
    gateway.proc.kill("SIGTERM");
    gateway.proc.kill("SIGINT");
    // Not listening any more, while the requests are still being served.
    await until(
      () =>
        fetch(`${gateway.url}/health`).then(
          () => false,
          (error: { code?: string }) => error.code === "ECONNREFUSED" || error.code === "ConnectionRefused",
        ),
      "new connections to be refused",
    );
    const refusedWhileServing = finished.length < 10;
    // Bun closes idle kept-alive connections at once when it stops listening: a load balancer
    // polling /ready on one sees it close rather than a 503.
    await until(() => idle.closedAt() !== null, "the idle kept-alive connection to be closed");
    idle.destroy();

    await Promise.all(requests);
    expect(idle.closedAt()!).toBeLessThanOrEqual(Math.min(...finished.map((one) => one.at)));
    expect(finished.map((one) => one.status)).toEqual(Array(10).fill(200));
    expect(await gateway.proc.exited).toBe(0);
    await gateway.stdout.done;
    const events = gateway.stdout.lines().map((line) => line.event);
    // The stop began before any of the 10 requests was answered (their log lines come later).
    const stopping = events.indexOf("stopping");
    expect(events.slice(stopping + 1).filter((event) => event === "channel")).toHaveLength(10);
    expect(events.slice(0, stopping)).not.toContain("channel");
    expect(events.filter((event) => event === "stopping")).toHaveLength(1);
    expect(events).not.toContain("stop-timeout");
    expect(events.at(-1)).toBe("stopped");
    if (!refusedWhileServing) console.warn("note: the machine was slow; the requests ended before the refused connection was seen");
  });

  test("a stop time out shorter than the requests ends the process anyway: exit 0 and a stop-timeout line", async () => {
    const hanging = slowSfu(Infinity);
    const gateway = await serve([], {
      SFU_GATEWAY_NODES: JSON.stringify({ sfu: [hanging.entry] }),
      SFU_GATEWAY_DEADLINE_MS: "2900",
      SFU_GATEWAY_ATTEMPT_TIMEOUT_MS: "2900",
      SFU_GATEWAY_STOP_TIMEOUT_MS: "300",
    });
    const requests = Array.from({ length: 3 }, () => gateway.ask().then((response) => response.status, () => -1));
    await until(() => hanging.channelCalls().length >= 3, "the 3 requests to reach the SFU");
    const signalled = performance.now();
    gateway.proc.kill("SIGTERM");
    expect(await gateway.proc.exited).toBe(0);
    // Well before the 2.9 s after which the gateway would have answered 504 itself.
    expect(performance.now() - signalled).toBeLessThan(2500);
    await gateway.stdout.done;
    const lines = gateway.stdout.lines();
    expect(lines.find((line) => line.event === "stopping")).toMatchObject({ inflight: 3, timeout_ms: 300 });
    expect(lines.find((line) => line.event === "stop-timeout")).toMatchObject({ level: "warn", abandoned: 3 });
    expect(lines.at(-1)).toMatchObject({ event: "stopped" });
    // Abandoned: the connections were closed without an answer.
    expect(await Promise.all(requests)).toEqual([-1, -1, -1]);
  });
});

describe("--healthcheck", () => {
  test("exit 0 against the gateway running with the same SFU_GATEWAY_BIND/PORT, 1 with one line when nothing listens", async () => {
    const gateway = await serve([], { SFU_GATEWAY_NODES: JSON.stringify({ sfu: [sfu("eu-west").entry] }) });
    const healthy = await run(["--healthcheck"], { SFU_GATEWAY_BIND: gateway.env.SFU_GATEWAY_BIND!, SFU_GATEWAY_PORT: gateway.env.SFU_GATEWAY_PORT! });
    expect(healthy).toEqual({ code: 0, stdout: "", stderr: "" });
    // 0.0.0.0 (the image's bind address) is asked on 127.0.0.1.
    expect((await run(["--healthcheck"], { SFU_GATEWAY_BIND: "0.0.0.0", SFU_GATEWAY_PORT: gateway.env.SFU_GATEWAY_PORT! })).code).toBe(0);

    const port = String(freePort());
    const down = await run(["--healthcheck"], { SFU_GATEWAY_BIND: "127.0.0.1", SFU_GATEWAY_PORT: port });
    expect(down.code).toBe(1);
    expect(down.stdout).toBe("");
    expect(down.stderr).toStartWith(`sfu-gateway: http://127.0.0.1:${port}/health: `);
    expect(down.stderr.endsWith("\n")).toBe(true);
    expect(down.stderr.trimEnd().split("\n")).toHaveLength(1);

    gateway.proc.kill("SIGTERM");
    expect(await gateway.proc.exited).toBe(0);
  });
});

describe("logs", () => {
  test("the caller's X-Request-Id is in the channel log line and passed to the SFU", async () => {
    const one = sfu("eu-west");
    const gateway = await serve([], { SFU_GATEWAY_NODES: JSON.stringify({ sfu: [one.entry] }) });
    const response = await gateway.ask("", { "x-request-id": "odoo-7f3a" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("odoo-7f3a");
    expect(one.channelCalls().at(-1)!.headers["x-request-id"]).toBe("odoo-7f3a");
    expect(await gateway.line("channel", { request_id: "odoo-7f3a" })).toMatchObject({ status: 200, sfu: one.url });
    gateway.proc.kill("SIGTERM");
    expect(await gateway.proc.exited).toBe(0);
  });

  test("SFU_GATEWAY_LOG_LEVEL=warn: no info line (start, requests, stop), warnings still written", async () => {
    const one = sfu("eu-west");
    // Readable by others: the configuration warns about it.
    const name = writeInFolder("loglevel.toml", tomlOf([one]));
    chmodSync(join(lone.folder, name), 0o644);
    const gateway = await serve(["--secrets", name], { SFU_GATEWAY_LOG_LEVEL: "warn" });
    expect((await gateway.ask()).status).toBe(200);
    expect((await fetch(`${gateway.url}/v1/channel`)).status).toBe(401);
    gateway.proc.kill("SIGTERM");
    expect(await gateway.proc.exited).toBe(0);
    await gateway.stdout.done;
    const lines = gateway.stdout.lines();
    expect(lines.filter((line) => line.level === "info" || line.level === "debug")).toEqual([]);
    expect(lines.map((line) => [line.level, line.event])).toEqual([["warn", "config"]]);
    expect(String(lines[0]!.message)).toContain("chmod 600");
  });
});
