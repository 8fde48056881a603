import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lineOfTomlError, loadConfig, sfuTableLines } from "../../src/config/load.ts";
import { ConfigError } from "../../src/config/types.ts";
import { newKey } from "../support/keys.ts";

const dir = mkdtempSync(join(tmpdir(), "sfu-gateway-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY = newKey();
const SFU_KEY = newKey();
const nodes = (sfu: unknown[]) => JSON.stringify({ sfu });
const base = { SFU_GATEWAY_KEY: KEY, SFU_GATEWAY_NODES: nodes([]) };

function problemsOf(env: Record<string, string | undefined>, secretsPath = join(dir, "none.toml")): string[] {
  try {
    loadConfig({ env, secretsPath });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error("expected a ConfigError");
}

function secretsFile(name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

describe("environment", () => {
  test("defaults", () => {
    const { config } = loadConfig({ env: base, secretsPath: "unused" });
    expect(config).toMatchObject({ bind: "0.0.0.0", port: 8071, trustProxy: false, deadlineMs: 2500, sfus: [] });
    expect(Object.isFrozen(config)).toBe(true);
  });

  test.each([
    [{ SFU_GATEWAY_KEY: undefined }, "SFU_GATEWAY_KEY: required"],
    [{ SFU_GATEWAY_KEY: "" }, "SFU_GATEWAY_KEY: required"],
    [{ SFU_GATEWAY_KEY: "  " }, "SFU_GATEWAY_KEY: required"],
    [{ SFU_GATEWAY_KEY: "not base64!" }, "SFU_GATEWAY_KEY: is not base64"],
    [{ SFU_GATEWAY_PORT: "80a" }, 'SFU_GATEWAY_PORT: expected a whole number from 0 to 65535, got "80a"'],
    [{ SFU_GATEWAY_PORT: "65536" }, "SFU_GATEWAY_PORT"],
    [{ SFU_GATEWAY_PORT: "-1" }, "SFU_GATEWAY_PORT"],
    [{ SFU_GATEWAY_TRUST_PROXY: "yes" }, 'SFU_GATEWAY_TRUST_PROXY: expected true, false, 1 or 0, got "yes"'],
    [{ SFU_GATEWAY_DEADLINE_MS: "3000" }, "SFU_GATEWAY_DEADLINE_MS: expected a whole number of milliseconds from 1 to 2999"],
    [{ SFU_GATEWAY_DEADLINE_MS: "0" }, "SFU_GATEWAY_DEADLINE_MS"],
    [{ SFU_GATEWAY_BIND: "0.0.0.0 x" }, "SFU_GATEWAY_BIND"],
  ])("%p → %s", (override, problem) => {
    expect(problemsOf({ ...base, ...override }).join("\n")).toContain(problem);
  });

  test.each([
    ["true", true],
    ["TRUE", true],
    ["1", true],
    ["false", false],
    ["0", false],
    ["", false],
  ])("SFU_GATEWAY_TRUST_PROXY=%p → %p", (value, expected) => {
    expect(loadConfig({ env: { ...base, SFU_GATEWAY_TRUST_PROXY: value }, secretsPath: "" }).config.trustProxy).toBe(expected);
  });

  test("every problem is reported at once", () => {
    const problems = problemsOf({ SFU_GATEWAY_PORT: "x", SFU_GATEWAY_TRUST_PROXY: "maybe", SFU_GATEWAY_NODES: "{" });
    expect(problems.length).toBe(4);
  });

  test("a short gateway key and an unknown variable are warnings, not errors", () => {
    const { warnings } = loadConfig({
      env: { ...base, SFU_GATEWAY_KEY: Buffer.alloc(16, 1).toString("base64"), SFU_GATEWAY_PORTT: "1" },
      secretsPath: "",
    });
    expect(warnings.join("\n")).toContain("SFU_GATEWAY_KEY is 16 bytes");
    expect(warnings.join("\n")).toContain("SFU_GATEWAY_PORTT: unknown variable");
  });

  test("no SFU is a warning: the gateway answers 503", () => {
    const { warnings } = loadConfig({ env: base, secretsPath: "" });
    expect(warnings.join("\n")).toContain("no SFU configured");
  });
});

describe("SFU_GATEWAY_NODES", () => {
  test("entries are normalised", () => {
    const { config } = loadConfig({
      env: {
        ...base,
        SFU_GATEWAY_NODES: nodes([
          { address: "https://SFU1.example.com/", region: "eu-west", key: SFU_KEY },
          { address: "http://10.0.0.5:8070/prefix//", key: Buffer.from(SFU_KEY, "base64").toString("base64url") },
        ]),
      },
      secretsPath: "",
    });
    expect(config.sfus.map(({ index, address, region, channelUrl }) => ({ index, address, region, channelUrl }))).toEqual([
      { index: 0, address: "https://sfu1.example.com", region: "eu-west", channelUrl: "https://sfu1.example.com/v1/channel" },
      { index: 1, address: "http://10.0.0.5:8070/prefix", region: null, channelUrl: "http://10.0.0.5:8070/prefix/v1/channel" },
    ]);
    expect(config.sfus[0]!.key).toEqual(config.sfus[1]!.key);
    expect(config.sfuSource).toBe("SFU_GATEWAY_NODES");
  });

  test.each([
    ["{", "SFU_GATEWAY_NODES: not valid JSON"],
    ["[]", 'SFU_GATEWAY_NODES: expected an object with an "sfu" list'],
    ['{"sfu": {}}', '"sfu" must be a list'],
    ['{"sfus": []}', 'unknown setting "sfus"'],
    [nodes([5]), "SFU_GATEWAY_NODES: sfu[0]: expected a table"],
    [nodes([{ key: SFU_KEY }]), 'sfu[0]: missing "address"'],
    [nodes([{ address: "http://a" }]), 'sfu[0]: missing "key"'],
    [nodes([{ address: "ftp://a", key: SFU_KEY }]), "must start with http:// or https://"],
    [nodes([{ address: "sfu.example.com", key: SFU_KEY }]), "is not a URL"],
    [nodes([{ address: "http://a?x=1", key: SFU_KEY }]), "must not have a query"],
    [nodes([{ address: "http://u:p@a", key: SFU_KEY }]), "must not hold credentials"],
    [nodes([{ address: "http://a", key: "%%%" }]), "sfu[0]: key is not base64"],
    [nodes([{ address: "http://a", key: 12 }]), '"key" must be a base64 string'],
    [nodes([{ address: "http://a", key: SFU_KEY, region: 3 }]), '"region" must be a string'],
    [nodes([{ address: "http://a", key: SFU_KEY, region: "" }]), '"region" must be a non-empty name'],
    [nodes([{ address: "http://a", key: SFU_KEY, adress: "x" }]), 'sfu[0]: unknown field "adress"'],
    [
      nodes([
        { address: "http://a:8070", key: SFU_KEY },
        { address: "http://A:8070/", key: SFU_KEY },
      ]),
      "sfu[1]: address http://a:8070 is already used by SFU_GATEWAY_NODES: sfu[0]",
    ],
  ])("%s → %s", (json, problem) => {
    expect(problemsOf({ ...base, SFU_GATEWAY_NODES: json }).join("\n")).toContain(problem);
  });

  test("an empty SFU_GATEWAY_NODES is an error, not a silent fall-back to the file", () => {
    expect(problemsOf({ ...base, SFU_GATEWAY_NODES: "" }).join("\n")).toContain("SFU_GATEWAY_NODES: not valid JSON");
  });

  test("a short SFU key warns and names the entry", () => {
    const { warnings } = loadConfig({
      env: { ...base, SFU_GATEWAY_NODES: nodes([{ address: "http://a", key: "c2hvcnQ=" }]) },
      secretsPath: "",
    });
    expect(warnings.join("\n")).toContain("SFU_GATEWAY_NODES: sfu[0]: key is 5 bytes");
  });

  test("a region differing from a built-in one by case warns", () => {
    const { warnings } = loadConfig({
      env: { ...base, SFU_GATEWAY_NODES: nodes([{ address: "http://a", key: SFU_KEY, region: "EU-West" }]) },
      secretsPath: "",
    });
    expect(warnings.join("\n")).toContain('region "EU-West"');
  });
});

describe("secrets file", () => {
  const toml = `# two SFUs
[[sfu]]
address = "http://10.0.0.1:8070"
region = "eu-west"
key = "${SFU_KEY}"

[[sfu]]
address = "http://10.0.0.2:8070"
key = "${SFU_KEY}"
`;

  test("is read when SFU_GATEWAY_NODES is unset", () => {
    const path = secretsFile("ok.toml", toml);
    const { config, warnings } = loadConfig({ env: { SFU_GATEWAY_KEY: KEY }, secretsPath: path });
    expect(config.sfus.map((sfu) => [sfu.address, sfu.region])).toEqual([
      ["http://10.0.0.1:8070", "eu-west"],
      ["http://10.0.0.2:8070", null],
    ]);
    expect(config.sfuSource).toBe(path);
    expect(warnings).toEqual([]);
  });

  test("SFU_GATEWAY_NODES wins over the file", () => {
    const path = secretsFile("ignored.toml", toml);
    const { config } = loadConfig({ env: { SFU_GATEWAY_KEY: KEY, SFU_GATEWAY_NODES: nodes([]) }, secretsPath: path });
    expect(config.sfus).toEqual([]);
  });

  test("a file readable by others gives a chmod 600 warning", () => {
    const path = secretsFile("open.toml", toml, 0o644);
    const { warnings } = loadConfig({ env: { SFU_GATEWAY_KEY: KEY }, secretsPath: path });
    expect(warnings.join("\n")).toContain(`chmod 600 ${path}`);
  });

  test("a missing file is an error naming it", () => {
    const path = join(dir, "missing.toml");
    expect(problemsOf({ SFU_GATEWAY_KEY: KEY }, path).join("\n")).toContain(`${path}: cannot read the secrets file (no such file)`);
  });

  test("an entry problem names the file, the line and the entry", () => {
    const path = secretsFile("bad-entry.toml", toml.replace(/key = "[^"]+"\n$/, 'key = "not base64!"\n'));
    expect(problemsOf({ SFU_GATEWAY_KEY: KEY }, path)).toEqual([`${path} line 7: [[sfu]] #2: key is not base64: it holds characters outside both base64 alphabets`]);
  });

  test("a syntax error names the file and line", () => {
    const path = secretsFile("syntax.toml", `${toml}\n[[sfu]]\naddress = "http://x"\naddress = "http://y"\n`);
    expect(problemsOf({ SFU_GATEWAY_KEY: KEY }, path).join("\n")).toContain(`${path} line 13: Cannot redefine key 'address'`);
  });

  test("[sfu] written as a single table is refused", () => {
    const path = secretsFile("single.toml", `[sfu]\naddress = "http://a"\nkey = "${SFU_KEY}"\n`);
    expect(problemsOf({ SFU_GATEWAY_KEY: KEY }, path).join("\n")).toContain('"sfu" must be a list');
  });

  test("helpers: table lines and error lines", () => {
    expect(sfuTableLines("a=1\n[[sfu]]\n  [[ sfu ]] # x\n[sfu]\n")).toEqual([2, 3]);
    const text = 'a = 1\nb = "x\nc = 2';
    let error: unknown;
    try {
      Bun.TOML.parse(text);
    } catch (caught) {
      error = caught;
    }
    expect(lineOfTomlError(text, error)).toBe(" line 2");
  });
});

describe("capacity, weight, routing and several gateway keys", () => {
  test("capacity and weight are read per SFU; weight defaults to 1", () => {
    const { config } = loadConfig({
      env: { ...base, SFU_GATEWAY_NODES: nodes([{ address: "http://a", key: SFU_KEY, capacity: 300, weight: 2.5 }, { address: "http://b", key: SFU_KEY }]) },
      secretsPath: "",
    });
    expect(config.sfus.map((sfu) => [sfu.capacity, sfu.weight])).toEqual([
      [300, 2.5],
      [null, 1],
    ]);
  });

  test.each([
    [{ capacity: 0 }, '"capacity" must be a positive whole number'],
    [{ capacity: 1.5 }, '"capacity" must be a positive whole number'],
    [{ capacity: "100" }, '"capacity" must be a positive whole number'],
    [{ weight: -1 }, '"weight" must be a positive number'],
  ])("%p → %s", (extra, message) => {
    expect(problemsOf({ ...base, SFU_GATEWAY_NODES: nodes([{ address: "http://a", key: SFU_KEY, ...extra }]) }).join("\n")).toContain(message);
  });

  test("SFU_GATEWAY_KEY takes several keys separated by commas; each bad one is named", () => {
    const other = newKey();
    const { config } = loadConfig({ env: { ...base, SFU_GATEWAY_KEY: `${KEY}, ${other}` }, secretsPath: "" });
    expect(config.gatewayKeys.length).toBe(2);
    expect(problemsOf({ ...base, SFU_GATEWAY_KEY: `${KEY},%%` }).join("\n")).toContain("SFU_GATEWAY_KEY (key 2 of 2): is not base64");
  });

  test("routing rules in the secrets file", () => {
    const path = secretsFile(
      "routing.toml",
      `[routing]
default_region = "eu-west"
[routing.by_address]
"10.1.0.0/16" = "us-east"
[routing.by_issuer]
"*.EU.example.com" = "eu-west"

[[sfu]]
address = "http://10.0.0.1:8070"
region = "eu-west"
key = "${SFU_KEY}"
capacity = 200
`,
    );
    const { config } = loadConfig({ env: { SFU_GATEWAY_KEY: KEY }, secretsPath: path });
    expect(config.routing.defaultRegion).toBe("eu-west");
    expect(config.routing.byAddress.map((rule) => [rule.cidr.text, rule.region])).toEqual([["10.1.0.0/16", "us-east"]]);
    expect(config.routing.byIssuer).toEqual([{ pattern: "*.eu.example.com", region: "eu-west" }]);
    expect(config.sfus[0]!.capacity).toBe(200);
  });

  test("a routing problem names the file and the entry; an unserved region warns", () => {
    const path = secretsFile("bad-routing.toml", `[routing.by_address]\n"10.1.0.1/16" = "us-east"\n`);
    expect(problemsOf({ SFU_GATEWAY_KEY: KEY }, path).join("\n")).toContain(`${path}: routing.by_address."10.1.0.1/16": "10.1.0.1/16" has bits set`);
    const { warnings } = loadConfig({
      env: { ...base, SFU_GATEWAY_NODES: JSON.stringify({ sfu: [{ address: "http://a", key: SFU_KEY }], routing: { default_region: "mars" } }) },
      secretsPath: "",
    });
    expect(warnings.join("\n")).toContain('routing names region "mars"');
  });
});
