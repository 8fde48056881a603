import { describe, expect, test } from "bun:test";
import { distanceKm, REGION_COORDINATES, regionOfCountry, regionsByDistance } from "../../src/routing/regions.ts";

describe("regionOfCountry", () => {
  test.each([
    ["FR", "eu-west"],
    ["fr", "eu-west"],
    ["Se", "eu-north"],
    ["PL", "eu-central"],
    ["TR", "eu-south"],
    ["US", "us-east"],
    ["BR", "sa-east"],
    ["CL", "sa-west"],
    ["JP", "ap-northeast"],
    ["CN", "ap-east"],
    ["AU", "ap-southeast"],
    ["IN", "ap-south"],
    ["AE", "me-south"],
    ["ZA", "af-south"],
  ])("%s → %s", (country, region) => {
    expect(regionOfCountry(country)).toBe(region);
  });

  test.each(["", "F", "FRA", "ZZ", "__proto__", "constructor"])("%p → undefined", (country) => {
    expect(regionOfCountry(country)).toBeUndefined();
  });
});

describe("distances", () => {
  test("Paris–Berlin is about 880 km", () => {
    const km = distanceKm(REGION_COORDINATES.get("eu-west")!, REGION_COORDINATES.get("eu-central")!);
    expect(km).toBeGreaterThan(850);
    expect(km).toBeLessThan(910);
  });

  test("regions nearest to eu-west first, itself included, unknown names skipped", () => {
    expect(regionsByDistance("eu-west", ["us-east", "local", "eu-central", "ap-east", "eu-west"])).toEqual([
      "eu-west",
      "eu-central",
      "us-east",
      "ap-east",
    ]);
  });

  test("a region without coordinates has no distance order", () => {
    expect(regionsByDistance("local", ["eu-west"])).toEqual([]);
    expect(regionsByDistance("constructor", ["eu-west"])).toEqual([]);
  });
});
