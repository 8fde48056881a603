import { describe, expect, test } from "bun:test";
import { createLogger, memorySink } from "../../src/log.ts";

describe("logger", () => {
  test("one JSON object per line: time, level, event, then the fields", () => {
    const sink = memorySink();
    const log = createLogger(sink);
    log.info("channel", { iss: 'a "quoted" \n iss', status: 200 });
    log.warn("config");
    log.error("x", {});
    expect(sink.lines.length).toBe(3);
    const first = JSON.parse(sink.lines[0]!);
    expect(Object.keys(first)).toEqual(["time", "level", "event", "iss", "status"]);
    expect(first).toMatchObject({ level: "info", event: "channel", iss: 'a "quoted" \n iss', status: 200 });
    expect(Date.parse(first.time)).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.parse(sink.lines[1]!)).toMatchObject({ level: "warn", event: "config" });
    expect(Object.keys(JSON.parse(sink.lines[2]!))).toEqual(["time", "level", "event"]);
  });

  test("lines under the minimum level are dropped", () => {
    const sink = memorySink();
    const log = createLogger(sink, "warn");
    log.info("quiet");
    log.log("debug", "quieter");
    log.error("loud");
    expect(sink.lines.map((line) => JSON.parse(line).event)).toEqual(["loud"]);
  });
});
