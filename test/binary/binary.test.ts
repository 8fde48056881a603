/**
 * The compiled executable, dist/sfu-gateway (npm test builds it before running the tests), as an
 * operator runs it: copied alone into an empty folder, configured only through the environment and
 * an optional secrets file, talking to stand-in SFUs on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { version } from "../../package.json" with { type: "json" };
import { LoneBinary } from "../support/binary.ts";
import { newKey } from "../support/keys.ts";
import { odooToken } from "../support/odoo.ts";
import { startSfu, type TestSfu } from "../support/sfus.ts";

const READY_WITHIN_MS = 15_000;
const COMMAND_WITHIN_MS = 15_000;
/** Above the waits here, so a slow machine reports what did not happen rather than a bare timeout. */
const TEST_TIMEOUT_MS = 30_000;
setDefaultTimeout(TEST_TIMEOUT_MS);

const lone = new LoneBinary("sfu-gateway-binary");
const spawned: Bun.Subprocess[] = [];
const sfus: TestSfu[] = [];


/** A file in the binary's folder, written with the given mode; returns its name (relative to that folder). */
function writeInFolder(name: string, text: string, mode = 0o600): string {
  lone.path();
  writeFileSync(join(lone.folder, name), text);
  chmodSync(join(lone.folder, name), mode);
  return name;
}

function sfu(region?: string): TestSfu {
  const started = startSfu(region);
  sfus.push(started);
  return started;
}

const nodesOf = (list: readonly TestSfu[]) => JSON.stringify({ sfu: list.map((one) => one.entry) });

/** A port nothing listens on right now. */
function freePort(): number {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = server.port as number;
  server.stop(true);
  return port;
}

function start(args: readonly string[], env: Record<string, string>) {
  // Only the given variables: nothing leaks in from the environment the tests run in.
  const proc = Bun.spawn([lone.path(), ...args], { cwd: lone.folder, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  spawned.push(proc);
  const stdout = new Response(proc.stdout).text();
  const stderr = new Response(proc.stderr).text();
  return { proc, stdout, stderr };
}

interface Finished {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the binary to its end (killed after COMMAND_WITHIN_MS, which then fails the test). */
async function run(args: readonly string[], env: Record<string, string> = {}): Promise<Finished> {
  const { proc, stdout, stderr } = start(args, env);
  const timer = setTimeout(() => proc.kill("SIGKILL"), COMMAND_WITHIN_MS);
  const code = await proc.exited;
  clearTimeout(timer);
  const finished = { code, stdout: await stdout, stderr: await stderr };
  if (proc.signalCode === "SIGKILL") throw new Error(`sfu-gateway ${args.join(" ")} did not end within ${COMMAND_WITHIN_MS} ms`);
  return finished;
}

/** Starts the binary as a server and waits until /health answers. */
async function serve(env: Record<string, string>) {
  const started = start([], env);
  const url = `http://${env.SFU_GATEWAY_BIND}:${env.SFU_GATEWAY_PORT}`;
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    if (started.proc.exitCode !== null) {
      throw new Error(`sfu-gateway exited with ${started.proc.exitCode} before serving: ${await started.stderr}`);
    }
    try {
      const response = await fetch(`${url}/health`);
      if (response.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`sfu-gateway did not answer ${url}/health within ${READY_WITHIN_MS} ms`);
    await Bun.sleep(25);
  }
  return { ...started, url };
}

/** Stack traces as Bun prints them for an uncaught error. */
function expectNoStackTrace(text: string) {
  expect(text).not.toMatch(/^\s+at .*:\d+(:\d+)?\)?$/m);
  expect(text).not.toMatch(/^error: /m);
  expect(text).not.toContain("Bun v");
}

/** A key in every spelling that could leak: as written, url-safe, unpadded, hex. */
function spellings(base64Key: string): string[] {
  const bytes = Buffer.from(base64Key, "base64");
  return [base64Key, base64Key.replace(/=+$/, ""), bytes.toString("base64url"), bytes.toString("hex")];
}

function expectNoSecret(text: string, secrets: readonly string[]) {
  for (const secret of secrets) expect(text).not.toContain(secret);
}

afterAll(async () => {
  for (const proc of spawned) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  await Promise.all(spawned.map((proc) => proc.exited));
  await Promise.all(sfus.map((one) => one.stop()));
  lone.remove();
});

describe("the binary, alone in an empty folder", () => {
  test("it is the only file there", () => {
    lone.path();
    expect(readdirSync(lone.folder).filter((name) => !name.endsWith(".toml"))).toEqual(["sfu-gateway"]);
  });

  test("--version prints the package version and exits 0", async () => {
    const { code, stdout, stderr } = await run(["--version"]);
    expect(code).toBe(0);
    expect(stdout).toBe(`sfu-gateway ${version}\n`);
    expect(stderr).toBe("");
  });

  test("--help prints the usage and exits 0", async () => {
    const { code, stdout } = await run(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Usage:");
    expect(stdout).toContain("--check");
    expect(stdout).toContain("SFU_GATEWAY_KEY");
  });

  test("an unknown argument exits 2 and says so", async () => {
    const { code, stderr } = await run(["--bogus"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--bogus");
    expectNoStackTrace(stderr);
  });
});

describe("--check", () => {
  test("a valid configuration: a summary without any key, exit 0", async () => {
    const key = newKey();
    const a = sfu("eu-west");
    const b = sfu("us-east");
    const { code, stdout, stderr } = await run(["--check"], {
      SFU_GATEWAY_KEY: key,
      SFU_GATEWAY_NODES: nodesOf([a, b]),
      SFU_GATEWAY_BIND: "127.0.0.1",
      SFU_GATEWAY_PORT: String(freePort()),
    });
    expect(code).toBe(0);
    expect(stdout).toStartWith("configuration OK\n");
    expect(stdout).toContain(a.url);
    expect(stdout).toContain(b.url);
    expect(stdout).toContain("eu-west");
    expectNoSecret(stdout + stderr, [key, a.key, b.key].flatMap(spellings));
    // --check only reads the configuration: the SFUs are not called.
    expect(a.received).toHaveLength(0);
    expect(b.received).toHaveLength(0);
  });

  test.each([
    ["a key that is not base64", { SFU_GATEWAY_KEY: "not base64 at all!" }, "SFU_GATEWAY_KEY"],
    ["no SFU_GATEWAY_KEY", {}, "SFU_GATEWAY_KEY: required"],
  ])("%s: exit 2 naming the variable, without a stack trace", async (_, keyEnv, message) => {
    const { code, stdout, stderr } = await run(["--check"], {
      ...keyEnv,
      SFU_GATEWAY_NODES: nodesOf([sfu("eu-west")]),
      SFU_GATEWAY_BIND: "127.0.0.1",
      SFU_GATEWAY_PORT: String(freePort()),
    });
    expect(code).toBe(2);
    expect(stdout).not.toContain("configuration OK");
    expect(stderr).toContain(message);
    expect(stderr).not.toContain("not base64 at all!");
    expectNoStackTrace(stderr);
  });

  test("secrets.example.toml passes, so the example stays valid", async () => {
    const name = writeInFolder("secrets.example.toml", await Bun.file(join(import.meta.dir, "..", "..", "secrets.example.toml")).text());
    const { code, stdout, stderr } = await run(["--check", "--secrets", name], { SFU_GATEWAY_KEY: newKey() });
    expect(code).toBe(0);
    expect(stdout).toStartWith("configuration OK\n");
    expect(stdout).toContain(`SFUs (from ${name}):`);
    expect(stdout).not.toMatch(/SFUs \(from [^)]*\): 0\b/);
    expect(stdout).not.toContain("warnings:");
    expect(stderr).toBe("");
  });

  test("a secrets file readable by others works but warns to chmod 600 it", async () => {
    const one = sfu("eu-west");
    const name = writeInFolder("open.toml", `[[sfu]]\naddress = "${one.url}"\nregion = "eu-west"\nkey = "${one.key}"\n`, 0o644);
    const { code, stdout } = await run(["--check", "--secrets", name], { SFU_GATEWAY_KEY: newKey() });
    expect(code).toBe(0);
    expect(stdout).toContain(one.url);
    expect(stdout).toContain(`chmod 600 ${name}`);
    expectNoSecret(stdout, spellings(one.key));
  });
});

describe("a secrets file with a bad entry", () => {
  const good = newKey();
  const badKey = "abcde"; // 5 base64 characters cannot be
  const text = [
    "# two SFUs, the second one wrong",
    "[[sfu]]",
    'address = "http://127.0.0.1:9"',
    `key = "${good}"`,
    "",
    "[[sfu]]",
    'address = "ftp://127.0.0.1:9"',
    `key = "${badKey}"`,
    "",
  ].join("\n");

  test.each([[["--check"]], [[]]])("%p: exit 2 naming the file and the line of the entry", async (mode) => {
    const name = writeInFolder("bad-entry.toml", text);
    const { code, stdout, stderr } = await run([...mode, "--secrets", name], {
      SFU_GATEWAY_KEY: newKey(),
      SFU_GATEWAY_BIND: "127.0.0.1",
      SFU_GATEWAY_PORT: String(freePort()),
    });
    expect(code).toBe(2);
    expect(stderr).toContain(`${name} line 6`);
    expect(stderr).toContain("ftp://");
    expect(stderr).not.toContain(`${name} line 2`);
    expect(stderr).not.toContain(`"${badKey}"`);
    expectNoSecret(stdout + stderr, spellings(good));
    expectNoStackTrace(stderr);
  });

  test("a TOML syntax error: exit 2 naming the file and the line", async () => {
    const name = writeInFolder("bad-syntax.toml", `[[sfu]]\naddress = "http://127.0.0.1:9\nkey = "${good}"\n`);
    const { code, stderr } = await run(["--check", "--secrets", name], { SFU_GATEWAY_KEY: newKey() });
    expect(code).toBe(2);
    expect(stderr).toContain(`${name} line 2`);
    expectNoSecret(stderr, spellings(good));
    expectNoStackTrace(stderr);
  });

  test("no secrets file and no SFU_GATEWAY_NODES: exit 2 naming the default file", async () => {
    const { code, stderr } = await run(["--check"], { SFU_GATEWAY_KEY: newKey() });
    expect(code).toBe(2);
    expect(stderr).toContain("secrets.toml");
    expect(stderr).toContain("SFU_GATEWAY_NODES");
    expectNoStackTrace(stderr);
  });
});

describe("serving", () => {
  const key = newKey();
  let euWest: TestSfu;
  let usEast: TestSfu;
  let gateway: Awaited<ReturnType<typeof serve>>;
  const tokens: string[] = [];

  beforeAll(async () => {
    euWest = sfu("eu-west");
    usEast = sfu("us-east");
    gateway = await serve({
      SFU_GATEWAY_KEY: key,
      SFU_GATEWAY_NODES: nodesOf([euWest, usEast]),
      SFU_GATEWAY_BIND: "127.0.0.1",
      SFU_GATEWAY_PORT: String(freePort()),
    });
  }, TEST_TIMEOUT_MS);

  test("/health answers {status: ok}", async () => {
    const response = await fetch(`${gateway.url}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await response.json()).toEqual({ status: "ok" });
  });

  test("/v1/noop answers {result: ok}", async () => {
    const response = await fetch(`${gateway.url}/v1/noop`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ result: "ok" });
  });

  test("/v1/channel returns the chosen SFU's {uuid, url}, and that SFU verified the re-signed token", async () => {
    const claims = { iss: "https://db.example.com:channel:7", key: crypto.randomUUID() };
    const token = odooToken(claims, key, 30);
    tokens.push(token);
    const response = await fetch(`${gateway.url}/v1/channel?region=us-east&webRTC=false`, {
      headers: { authorization: `jwt ${token}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { uuid: string; url: string };
    expect(Object.keys(body).sort()).toEqual(["url", "uuid"]);
    expect(body.url).toBe(usEast.url);
    expect(euWest.channelCalls()).toHaveLength(0);
    const calls = usEast.channelCalls();
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    // Verified with the SFU's own key (null otherwise), every claim carried over, not the caller's token.
    expect(call.claims).not.toBeNull();
    expect({ ...call.claims }).toMatchObject(claims);
    expect(call.token).not.toBe(token);
    tokens.push(call.token!);
    // The SFU's query: webRTC passed on, region (the gateway's own hint) not.
    expect(new URLSearchParams(call.query).get("webRTC")).toBe("false");
    expect(new URLSearchParams(call.query).has("region")).toBe(false);
    const channel = [...usEast.channels.values()].find((one) => one.uuid === body.uuid);
    expect(channel).toBeDefined();
    expect(channel!.webRtcEnabled).toBe(false);
  });

  test("/v1/channel without a token is refused 401 and the SFUs are not called", async () => {
    const before = euWest.channelCalls().length + usEast.channelCalls().length;
    const response = await fetch(`${gateway.url}/v1/channel`);
    expect(response.status).toBe(401);
    expect(euWest.channelCalls().length + usEast.channelCalls().length).toBe(before);
  });

  test("/swagger is an HTML page whose scripts and styles are all served by the gateway itself", async () => {
    const response = await fetch(`${gateway.url}/swagger`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const page = await response.text();
    const references = [
      ...[...page.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi)].map((match) => match[1]!),
      ...[...page.matchAll(/<link\b[^>]*\bhref\s*=\s*["']([^"']+)["']/gi)].map((match) => match[1]!),
    ];
    expect(references.some((reference) => reference.endsWith(".js"))).toBe(true);
    expect(references.some((reference) => reference.endsWith(".css"))).toBe(true);
    for (const reference of references) {
      // Not absolute, not protocol-relative: nothing is fetched from a CDN.
      expect(reference).not.toMatch(/^([a-z][a-z0-9+.-]*:|\/\/)/i);
      const asset = await fetch(new URL(reference, `${gateway.url}/swagger`));
      expect(asset.status).toBe(200);
      const bytes = (await asset.arrayBuffer()).byteLength;
      expect(bytes).toBeGreaterThan(reference.endsWith(".js") || reference.endsWith(".css") ? 10_000 : 100);
    }
  });

  test("/swagger/json is an OpenAPI document describing /v1/channel and its query", async () => {
    const response = await fetch(`${gateway.url}/swagger/json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      info: { version: string };
      paths: Record<string, { get?: { parameters?: { name: string; in: string }[] } }>;
    };
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.version).toBe(version);
    const parameters = document.paths["/v1/channel"]?.get?.parameters ?? [];
    const query = parameters.filter((parameter) => parameter.in === "query").map((parameter) => parameter.name);
    expect(query).toEqual(expect.arrayContaining(["region", "country", "webRTC", "recordingAddress"]));
    expect(Object.keys(document.paths)).toContain("/health");
  });

  test("SIGTERM stops it with exit 0, and its logs hold no key or token", async () => {
    gateway.proc.kill("SIGTERM");
    expect(await gateway.proc.exited).toBe(0);
    const stdout = await gateway.stdout;
    const logs = stdout + (await gateway.stderr);
    // JSON lines: every line parses; start, the channel requests and the stop are all there.
    const lines = stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.event)).toContain("listening");
    expect(lines.filter((line) => line.event === "channel").map((line) => line.status)).toEqual([200, 401]);
    expect(lines.at(-1)).toMatchObject({ event: "stopped", signal: "SIGTERM" });
    expect(tokens).toHaveLength(2);
    expectNoSecret(logs, [...[key, euWest.key, usEast.key].flatMap(spellings), ...tokens, ...tokens.map((token) => token.split(".")[2]!)]);
    await expect(fetch(`${gateway.url}/health`)).rejects.toThrow();
  });
});

describe("a port taken by another program", () => {
  // A program that does not share its port (the gateway itself listens with SO_REUSEPORT).
  test("exit 1 with a message naming the port, no stack trace", async () => {
    const holder = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("not the gateway") });
    try {
      const port = String(holder.port);
      const { code, stderr } = await run([], {
        SFU_GATEWAY_KEY: newKey(),
        SFU_GATEWAY_NODES: nodesOf([sfu("eu-west")]),
        SFU_GATEWAY_BIND: "127.0.0.1",
        SFU_GATEWAY_PORT: port,
      });
      expect(code).toBe(1);
      expect(stderr).toContain(`127.0.0.1:${port}`);
      expect(stderr).toContain("already in use");
      expectNoStackTrace(stderr);
    } finally {
      holder.stop(true);
    }
  });
});
