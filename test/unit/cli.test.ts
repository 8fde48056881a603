import { describe, expect, test } from "bun:test";
import { parseArgs } from "../../src/cli.ts";

describe("parseArgs", () => {
  test.each([
    [[], { kind: "serve", secretsPath: "secrets.toml" }],
    [["--secrets", "/etc/gw.toml"], { kind: "serve", secretsPath: "/etc/gw.toml" }],
    [["-s", "a.toml"], { kind: "serve", secretsPath: "a.toml" }],
    [["--secrets=b.toml"], { kind: "serve", secretsPath: "b.toml" }],
    [["--check", "--secrets", "c.toml"], { kind: "check", secretsPath: "c.toml" }],
    [["--help"], { kind: "help" }],
    [["-h"], { kind: "help" }],
    [["--version"], { kind: "version" }],
    [["--demo"], { kind: "demo" }],
  ])("%p", (argv, command) => {
    expect(parseArgs(argv)).toEqual(command as ReturnType<typeof parseArgs>);
  });

  test.each([
    [["--secrets"], "needs a file path"],
    [["--secrets="], "needs a file path"],
    [["--bogus"], 'unknown argument "--bogus"'],
    [["extra"], 'unknown argument "extra"'],
    [["--check", "--demo"], "cannot be combined"],
  ])("%p is an error", (argv, message) => {
    const command = parseArgs(argv);
    expect(command.kind).toBe("error");
    expect((command as { message: string }).message).toContain(message);
  });
});
