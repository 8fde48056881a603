import { describe, expect, test } from "bun:test";
import type { SfuNode } from "../../src/config/types.ts";
import { resolveHint } from "../../src/routing/hint.ts";
import { buildPlans } from "../../src/routing/plans.ts";
import { Selector } from "../../src/routing/selector.ts";

const node = (index: number, region: string | null): SfuNode => ({
  index,
  address: `http://sfu${index}`,
  region,
  channelUrl: `http://sfu${index}/v1/channel`,
  key: new Uint8Array(32),
});

const fleet = [
  node(0, "eu-west"),
  node(1, "eu-west"),
  node(2, "us-east"),
  node(3, "local"),
  node(4, null),
  node(5, "eu-central"),
];
const names = (sfus: readonly SfuNode[]) => sfus.map((sfu) => sfu.address.slice(7));

describe("plans", () => {
  const plans = buildPlans(fleet);
  const tiersOf = (hint: string) => plans.byRegion.get(hint)!.tiers.map((tier) => [tier.region, names(tier.sfus)]);

  test.each([
    ["eu-west", [["eu-west", ["sfu0", "sfu1"]], ["eu-central", ["sfu5"]], ["us-east", ["sfu2"]], [null, ["sfu3", "sfu4"]]]],
    ["eu-north", [["eu-central", ["sfu5"]], ["eu-west", ["sfu0", "sfu1"]], ["us-east", ["sfu2"]], [null, ["sfu3", "sfu4"]]]],
    ["sa-east", [["us-east", ["sfu2"]], ["eu-west", ["sfu0", "sfu1"]], ["eu-central", ["sfu5"]], [null, ["sfu3", "sfu4"]]]],
    ["local", [["local", ["sfu3"]], [null, ["sfu0", "sfu1", "sfu2", "sfu4", "sfu5"]]]],
  ])("hint %s", (hint, tiers) => {
    expect(tiersOf(hint)).toEqual(tiers as never);
  });

  test("no hint: every SFU in one tier", () => {
    expect(plans.any.tiers.map((tier) => names(tier.sfus))).toEqual([["sfu0", "sfu1", "sfu2", "sfu3", "sfu4", "sfu5"]]);
  });

  test("a tier is one object wherever it appears, so its round-robin index is shared", () => {
    const euWest = plans.byRegion.get("eu-west")!.tiers[0];
    expect(plans.byRegion.get("eu-north")!.tiers[1]).toBe(euWest!);
    expect(new Set([...plans.byRegion.values()].flatMap((plan) => plan.tiers)).size).toBe(plans.tierCount - 1);
  });

  test("an empty fleet has empty plans", () => {
    const empty = buildPlans([]);
    expect(empty.any.tiers).toEqual([]);
    expect(empty.byRegion.get("eu-west")!.tiers).toEqual([]);
  });
});

describe("resolveHint", () => {
  const plans = buildPlans(fleet);
  test.each([
    [undefined, undefined, null],
    ["eu-west", undefined, "eu-west"],
    ["local", "US", "local"],
    ["ap-south", undefined, "ap-south"],
    ["atlantis", "fr", "eu-west"],
    ["atlantis", undefined, null],
    ["", "us", "us-east"],
    [undefined, "zz", null],
    ["EU-WEST", undefined, null],
    ["__proto__", undefined, null],
  ])("region %p, country %p → %p", (region, country, hint) => {
    expect(resolveHint(plans, region, country)).toBe(hint);
  });
});

describe("selector", () => {
  test("round-robin inside a region", () => {
    const selector = new Selector(fleet);
    const plan = selector.plan("eu-west");
    expect(names([0, 1, 2, 3].map(() => selector.pick(plan)!))).toEqual(["sfu0", "sfu1", "sfu0", "sfu1"]);
  });

  test("interleaved requests for different regions still alternate inside each region", () => {
    const selector = new Selector(fleet);
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) {
      picks.push(selector.pick(selector.plan("eu-west"))!.address.slice(7));
      picks.push(selector.pick(selector.plan(null))!.address.slice(7));
    }
    const euWest = picks.filter((_, i) => i % 2 === 0);
    expect(euWest).toEqual(["sfu0", "sfu1", "sfu0", "sfu1", "sfu0", "sfu1"]);
    expect(picks.filter((_, i) => i % 2 === 1)).toEqual(["sfu0", "sfu1", "sfu2", "sfu3", "sfu4", "sfu5"]);
  });

  test("a hint served by a neighbour shares that neighbour's index", () => {
    const selector = new Selector([node(0, "eu-west"), node(1, "eu-west")]);
    const order = [selector.plan("eu-west"), selector.plan("eu-north"), selector.plan("eu-west"), selector.plan("eu-north")].map(
      (plan) => selector.pick(plan)!.address.slice(7),
    );
    expect(order).toEqual(["sfu0", "sfu1", "sfu0", "sfu1"]);
  });

  test("unknown hints and empty fleets", () => {
    const selector = new Selector(fleet);
    expect(selector.plan("nowhere")).toBe(selector.plans.any);
    expect(new Selector([]).pick(new Selector([]).plan(null))).toBeUndefined();
  });
});
