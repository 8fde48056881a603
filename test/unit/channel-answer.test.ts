import { describe, expect, test } from "bun:test";
import { parseChannel } from "../../src/upstream/channel-answer.ts";

describe("parseChannel", () => {
  test.each([
    ['{"uuid":"u1","url":"https://sfu1.example.com"}', { uuid: "u1", url: "https://sfu1.example.com" }],
    ['{"uuid":"u1","url":"http://10.0.0.5:8070","extra":1}', { uuid: "u1", url: "http://10.0.0.5:8070" }],
  ])("%s is a channel (extra fields dropped)", (body, channel) => {
    expect(parseChannel(body)).toEqual(channel);
  });

  test.each([
    ["", "not JSON"],
    ["<html>", "not JSON"],
    ["[]", "not a JSON object"],
    ["null", "not a JSON object"],
    ['{"url":"http://a"}', "uuid"],
    ['{"uuid":"","url":"http://a"}', "uuid"],
    ['{"uuid":5,"url":"http://a"}', "uuid"],
    ['{"uuid":"u"}', "url"],
    ['{"uuid":"u","url":""}', "url"],
    ['{"uuid":"u","url":"ws://a"}', "not an http(s) URL"],
    ['{"uuid":"u","url":"/relative"}', "not an http(s) URL"],
  ])("%p is refused (%s)", (body, reason) => {
    const result = parseChannel(body);
    expect(typeof result).toBe("string");
    expect(result as string).toContain(reason);
  });
});
