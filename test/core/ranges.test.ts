import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseContentRange, parseLength, RangeSet, rangeHeader } from "../../src/core/ranges.js";

describe("byte ranges", () => {
  it("NET-6: Range headers use inclusive ends, or an open end", () => {
    expect(rangeHeader({ start: 0, end: 100 })).toBe("bytes=0-99");
    expect(rangeHeader({ start: 500 })).toBe("bytes=500-");
    expect(() => rangeHeader({ start: 10, end: 10 })).toThrow(RangeError);
    expect(() => rangeHeader({ start: -1 })).toThrow(RangeError);
  });

  it("NET-6, REL-3: content-range parsing accepts the valid form and rejects garbage and absurd lengths", () => {
    expect(parseContentRange("bytes 0-99/1000")).toEqual({ start: 0, end: 99, total: 1000 });
    expect(parseContentRange("bytes 5-9/*")).toEqual({ start: 5, end: 9, total: null });
    for (const bad of [
      "bytes 0-99",
      "items 0-1/2",
      "bytes -1-5/9",
      "bytes 0-9999999999999999/1",
      "",
      "bytes a-b/c",
    ]) {
      expect(parseContentRange(bad)).toBeUndefined();
    }
    expect(parseLength("42")).toBe(42);
    expect(parseLength("4e2")).toBeUndefined();
    expect(parseLength("99999999999999999999")).toBeUndefined();
  });

  it("STORE-3: RangeSet merges, answers containment and finds gaps", () => {
    const s = new RangeSet();
    s.add(10, 20);
    s.add(30, 40);
    s.add(20, 25);
    expect(s.ranges()).toEqual([
      [10, 25],
      [30, 40],
    ]);
    expect(s.contains(12, 25)).toBe(true);
    expect(s.contains(24, 31)).toBe(false);
    expect(s.firstGap(0)).toEqual({ start: 0, end: 10 });
    expect(s.firstGap(10, 40)).toEqual({ start: 25, end: 30 });
    expect(s.firstGap(30, 40)).toBeUndefined();
    expect(s.firstGap(35)).toEqual({ start: 40, end: undefined });
    expect(s.contiguousEnd(12)).toBe(25);
    expect(s.size).toBe(25);
    s.add(0, 50);
    expect(s.isComplete(50)).toBe(true);
  });

  it("STORE-3: RangeSet agrees with a byte-array model under random inserts", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(200), fc.nat(50)), { maxLength: 30 }), (ops) => {
        const s = new RangeSet();
        const model = new Uint8Array(260);
        for (const [start, len] of ops) {
          s.add(start, start + len);
          model.fill(1, start, start + len);
        }
        const r = s.ranges();
        for (let i = 1; i < r.length; i++) expect(r[i]![0]).toBeGreaterThan(r[i - 1]![1]);
        expect(s.size).toBe(model.reduce((a, b) => a + b, 0));
        for (let i = 0; i < 255; i++) expect(s.contains(i, i + 1)).toBe(model[i] === 1);
      }),
    );
  });
});
