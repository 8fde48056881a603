/** The documentation names every setting and every metric the code has, so the two cannot drift apart. */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SETTINGS } from "../../src/config/settings.ts";
import { Metrics } from "../../src/observability/metrics.ts";

const root = join(import.meta.dir, "../..");
const read = (path: string) => readFileSync(join(root, path), "utf8");

describe("documentation", () => {
  const readme = read("README.md");
  test.each(["SFU_GATEWAY_KEY", "SFU_GATEWAY_NODES", ...SETTINGS.map((spec) => spec.variable)])("the README's table lists %s with its default", (variable) => {
    const row = readme.split("\n").find((line) => line.startsWith(`| \`${variable}\``));
    expect(row).toBeDefined();
    const spec = SETTINGS.find((candidate) => candidate.variable === variable);
    if (spec !== undefined) expect(row!).toContain(spec.fallback === "" ? "unset" : `\`${spec.fallback}\``);
  });

  const metrics = new Metrics({ sfus: () => [], generation: () => 1, pins: () => new Map(), ready: () => true, inflight: () => 0 });
  const operations = read("doc/operations.md");
  test.each(metrics.registry.getMetricsAsArray().map((metric) => metric.name))("doc/operations.md describes the metric %s", (name) => {
    expect(operations).toContain(`\`${name}\``);
  });

  test.each(["doc/integration.md", "doc/load_balancing.md", "doc/operations.md", "doc/architecture.md", "doc/roadmap.md"])("the README links %s", (path) => {
    expect(readme).toContain(`](${path})`);
    expect(read(path).length).toBeGreaterThan(1000);
  });
});
