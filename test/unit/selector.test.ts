import { describe, expect, test } from "bun:test";
import { EMPTY_ROUTING } from "../../src/config/routing.ts";
import type { SfuNode } from "../../src/config/types.ts";
import type { SfuState } from "../../src/fleet/sfu-state.ts";
import { resolveHint } from "../../src/routing/hint.ts";
import { buildPlans } from "../../src/routing/plans.ts";
import { Selector } from "../../src/routing/selector.ts";
import { node, nodes, selectorFor, short } from "../support/fleet.ts";

const fleet: SfuNode[] = [node(0, "eu-west"), node(1, "eu-west"), node(2, "us-east"), node(3, "local"), node(4, null), node(5, "eu-central")];
const names = (sfus: readonly { address: string }[]) => sfus.map((sfu) => short(sfu.address));

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

  test("a tier is one object wherever it appears, so its round-robin turn is shared", () => {
    const euWest = plans.byRegion.get("eu-west")!.tiers[0];
    expect(plans.byRegion.get("eu-north")!.tiers[1]).toBe(euWest!);
    expect(new Set([...plans.byRegion.values(), plans.any].flatMap((plan) => plan.tiers)).size).toBe(plans.tiers.length);
    expect(plans.tiers.map((tier) => tier.id)).toEqual(plans.tiers.map((_, index) => index));
  });

  test("tier keys name region and members, so a reload finds the same tier again", () => {
    const again = buildPlans(fleet.map((sfu) => ({ ...sfu })));
    expect(again.tiers.map((tier) => tier.key)).toEqual(plans.tiers.map((tier) => tier.key));
    expect(plans.byRegion.get("eu-west")!.tiers[0]!.key).toBe("eu-west http://sfu0 http://sfu1");
  });

  test("an empty fleet has empty plans", () => {
    const empty = buildPlans([]);
    expect(empty.any.tiers).toEqual([]);
    expect(empty.byRegion.get("eu-west")!.tiers).toEqual([]);
  });
});

describe("resolveHint without caller rules", () => {
  const plans = buildPlans(fleet);
  test.each([
    [undefined, undefined, null],
    ["eu-west", undefined, "eu-west region"],
    ["local", "US", "local region"],
    ["ap-south", undefined, "ap-south region"],
    ["atlantis", "fr", "eu-west country"],
    ["atlantis", undefined, null],
    ["", "us", "us-east country"],
    [undefined, "zz", null],
    ["EU-WEST", undefined, null],
    ["__proto__", undefined, null],
  ])("region %p, country %p → %p", (region, country, expected) => {
    const hint = resolveHint(plans, EMPTY_ROUTING, { region, country }, "https://db.example.com:channel:1", "10.0.0.1");
    expect(hint === null ? null : `${hint.region} ${hint.source}`).toBe(expected);
  });
});

describe("selector", () => {
  const pick = (selector: ReturnType<typeof selectorFor>["selector"], region: string | null, iss = "iss", pinned: SfuState | null = null) =>
    short(selector.candidates(selector.plan(region), iss, pinned, 3)[0]!.address);

  test("round-robin inside a region", () => {
    const { selector } = selectorFor(fleet);
    expect([0, 1, 2, 3].map(() => pick(selector, "eu-west"))).toEqual(["sfu0", "sfu1", "sfu0", "sfu1"]);
  });

  test("interleaved requests for different regions still alternate inside each region", () => {
    const { selector } = selectorFor(fleet);
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) picks.push(pick(selector, "eu-west"), pick(selector, null));
    expect(picks.filter((_, i) => i % 2 === 0)).toEqual(["sfu0", "sfu1", "sfu0", "sfu1", "sfu0", "sfu1"]);
    expect(picks.filter((_, i) => i % 2 === 1)).toEqual(["sfu0", "sfu1", "sfu2", "sfu3", "sfu4", "sfu5"]);
  });

  test("a hint served by a neighbour shares that neighbour's turn", () => {
    const { selector } = selectorFor(nodes("eu-west", "eu-west"));
    expect(["eu-west", "eu-north", "eu-west", "eu-north"].map((region) => pick(selector, region))).toEqual(["sfu0", "sfu1", "sfu0", "sfu1"]);
  });

  test("candidates: the region's SFUs in turn, then the nearest regions, capped", () => {
    const { selector } = selectorFor(fleet);
    expect(names(selector.candidates(selector.plan("eu-west"), "a", null, 10))).toEqual(["sfu0", "sfu1", "sfu5", "sfu2", "sfu3", "sfu4"]);
    expect(names(selector.candidates(selector.plan("eu-west"), "a", null, 10))).toEqual(["sfu1", "sfu0", "sfu5", "sfu2", "sfu3", "sfu4"]);
    expect(names(selector.candidates(selector.plan("eu-west"), "a", null, 3))).toEqual(["sfu0", "sfu1", "sfu5"]);
  });

  test("unusable SFUs (down or draining) are skipped, and the turn goes on among the usable ones", () => {
    const { selector, fleet: states } = selectorFor(nodes("eu-west", "eu-west", "eu-west", "us-east"));
    states.states[1]!.draining = true;
    states.states[2]!.health = { ...states.states[2]!.health, state: "down" };
    expect(names(selector.candidates(selector.plan("eu-west"), "a", null, 5))).toEqual(["sfu0", "sfu3"]);
    states.states[0]!.draining = true;
    expect(names(selector.candidates(selector.plan("eu-west"), "a", null, 5))).toEqual(["sfu3"]);
    states.states[3]!.draining = true;
    expect(selector.candidates(selector.plan("eu-west"), "a", null, 5)).toEqual([]);
  });

  test("a usable pinned SFU comes first and does not move the turn; an unusable one is passed over", () => {
    const { selector, fleet: states } = selectorFor(nodes("eu-west", "eu-west", "us-east"));
    const pinned = states.states[2]!;
    expect(names(selector.candidates(selector.plan("eu-west"), "a", pinned, 5))).toEqual(["sfu2", "sfu0", "sfu1"]);
    expect(pick(selector, "eu-west")).toBe("sfu0");
    pinned.draining = true;
    expect(names(selector.candidates(selector.plan("eu-west"), "a", pinned, 5))).toEqual(["sfu1", "sfu0"]);
  });

  test("rank shows the order a request would get, without moving the turn", () => {
    const { selector } = selectorFor(nodes("eu-west", "eu-west"));
    const plan = selector.plan("eu-west");
    const ranked = names(selector.rank(plan, "a", null).order);
    expect(names(selector.rank(plan, "a", null).order)).toEqual(ranked);
    expect(names(selector.candidates(plan, "a", null, 5))).toEqual(ranked);
    expect(names(selector.rank(plan, "a", null).order)).not.toEqual(ranked);
  });

  test("turns carry over to a selector of the next configuration", () => {
    const sfus = nodes("eu-west", "eu-west", "eu-west");
    const { selector } = selectorFor(sfus);
    pick(selector, "eu-west");
    const { fleet: next } = selectorFor(sfus);
    const carried = new Selector(buildPlans(sfus), selector.strategy, next, selector.turns());
    expect(short(carried.candidates(carried.plan("eu-west"), "a", null, 1)[0]!.address)).toBe("sfu1");
  });

  test("unknown hints and empty fleets", () => {
    const { selector } = selectorFor(fleet);
    expect(selector.plan("nowhere")).toBe(selector.plans.any);
    const empty = selectorFor([]).selector;
    expect(empty.candidates(empty.plan(null), "a", null, 3)).toEqual([]);
  });
});
