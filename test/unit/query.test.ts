import { describe, expect, test } from "bun:test";
import { MAX_QUERY_LENGTH, splitQuery } from "../../src/upstream/query.ts";

describe("splitQuery", () => {
  test.each([
    ["", {}, ""],
    ["region=eu-west", { region: "eu-west" }, ""],
    ["region=eu-west&webRTC=false", { region: "eu-west" }, "webRTC=false"],
    ["webRTC=false&country=FR&recordingAddress=http%3A%2F%2Fx", { country: "FR" }, "webRTC=false&recordingAddress=http%3A%2F%2Fx"],
    ["%72egion=local&a=1", { region: "local" }, "a=1"],
    ["region&a=1", { region: "" }, "a=1"],
    ["a=1&&b=%zz&region=x&c", { region: "x" }, "a=1&&b=%zz&c"],
    ["reg+ion=1&regions=2", {}, "reg+ion=1&regions=2"],
    ["region=eu%2Dwest&country=f+r", { region: "eu-west", country: "f r" }, ""],
    ["x=%E0%A4%A&y=+", {}, "x=%E0%A4%A&y=+"],
    ["a=1&", {}, "a=1&"],
  ])("%p", (raw, routing, passOn) => {
    expect(splitQuery(raw)).toEqual({ region: undefined, country: undefined, ...routing, passOn });
  });

  test.each([
    ["region=a&region=b", "region is given more than once"],
    ["country=FR&%63ountry=DE", "country is given more than once"],
    ["region=%E0%A4%A", "region is not valid percent-encoding"],
    ["country=%zz", "country is not valid percent-encoding"],
    [`a=${"x".repeat(MAX_QUERY_LENGTH)}`, "longer than"],
  ])("%p is refused", (raw, error) => {
    const result = splitQuery(raw);
    expect("error" in result && result.error).toContain(error);
  });
});
