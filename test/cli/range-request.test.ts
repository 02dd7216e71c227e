import { describe, expect, it } from "vitest";
import { parseRangeRequest, resolveRange } from "../../src/cli/proxy/range-request.js";

describe("proxy Range requests", () => {
  it("CLI-2: single ranges, open ends and suffixes resolve against the total; bad ones are 416", () => {
    expect(parseRangeRequest(undefined)).toEqual({ kind: "none" });
    expect(parseRangeRequest("bytes=0-99")).toEqual({ kind: "range", start: 0, end: 100 });
    expect(parseRangeRequest("bytes=100-")).toEqual({ kind: "range", start: 100, end: undefined });
    expect(parseRangeRequest("bytes=-50")).toEqual({ kind: "suffix", length: 50 });
    expect(parseRangeRequest("bytes=0-1,5-6")).toEqual({ kind: "none" }); // whole body is allowed
    for (const bad of ["bytes=5-1", "bytes=-", "items=0-1", "bytes=a-b"]) {
      expect(parseRangeRequest(bad)).toEqual({ kind: "invalid" });
    }
    expect(resolveRange({ kind: "range", start: 10, end: 1000 }, 100)).toEqual({
      start: 10,
      end: 100,
    });
    expect(resolveRange({ kind: "range", start: 10, end: undefined }, 100)).toEqual({
      start: 10,
      end: 100,
    });
    expect(resolveRange({ kind: "suffix", length: 30 }, 100)).toEqual({ start: 70, end: 100 });
    expect(resolveRange({ kind: "suffix", length: 300 }, 100)).toEqual({ start: 0, end: 100 });
    expect(resolveRange({ kind: "range", start: 100, end: undefined }, 100)).toBeUndefined();
    expect(resolveRange({ kind: "suffix", length: 0 }, 100)).toBeUndefined();
  });
});
