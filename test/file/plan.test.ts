import { describe, expect, it } from "vitest";
import { RangeSet } from "../../src/core/ranges.js";
import { type Availability, type Demand, planFetch, watermark } from "../../src/file/plan.js";

function avail(ranges: Array<[number, number]>, total?: number): Availability {
  const set = RangeSet.from(ranges);
  return {
    finalLength: () => total,
    firstGap: (from, to) => set.firstGap(from, to ?? total),
  };
}

const reader = (d: Partial<Demand> = {}): Demand => ({
  position: 0,
  lookAhead: Number.POSITIVE_INFINITY,
  requestedEnd: 0,
  blocked: [],
  ...d,
});

describe("planFetch", () => {
  it("FILE-3: watermark is the max over readers of position + look-ahead and requested end", () => {
    expect(
      watermark([
        reader({ position: 10, lookAhead: 100 }),
        reader({ requestedEnd: 500, lookAhead: 0 }),
      ]),
    ).toBe(500);
    expect(
      watermark([
        reader({ position: 900, lookAhead: 100 }),
        reader({ requestedEnd: 500, lookAhead: 0 }),
      ]),
    ).toBe(1000);
    expect(watermark([reader()])).toBe(Number.POSITIVE_INFINITY);
  });

  it("FILE-3: fetches the first missing range, unbounded with no look-ahead limit", () => {
    expect(planFetch(avail([]), [reader()])).toEqual({
      range: { start: 0, end: undefined },
      priority: "low",
    });
    expect(planFetch(avail([[0, 100]], 1000), [reader()])).toEqual({
      range: { start: 100, end: 1000 },
      priority: "low",
    });
    expect(
      planFetch(
        avail(
          [
            [0, 100],
            [300, 1000],
          ],
          1000,
        ),
        [reader()],
      )?.range,
    ).toEqual({ start: 100, end: 300 });
    expect(planFetch(avail([[0, 1000]], 1000), [reader()])).toBeUndefined();
  });

  it("FILE-3: stops at the watermark; nothing to fetch once it is reached", () => {
    const r = reader({ position: 0, lookAhead: 4096 });
    expect(planFetch(avail([]), [r])?.range).toEqual({ start: 0, end: 4096 });
    expect(planFetch(avail([[0, 4096]]), [r])).toBeUndefined();
    // A wait asking further than the look-ahead lifts the watermark.
    expect(planFetch(avail([[0, 4096]]), [{ ...r, requestedEnd: 9000 }])?.range).toEqual({
      start: 4096,
      end: 9000,
    });
  });

  it("FILE-6: after a seek past the prefix, fetches from the seek position first at high priority, then back-fills at low", () => {
    const seeker = reader({ position: 800 });
    expect(planFetch(avail([[0, 100]], 1000), [seeker])).toEqual({
      range: { start: 800, end: 1000 },
      priority: "high",
    });
    expect(
      planFetch(
        avail(
          [
            [0, 100],
            [800, 1000],
          ],
          1000,
        ),
        [seeker],
      ),
    ).toEqual({ range: { start: 100, end: 800 }, priority: "low" });
  });

  it("FILE-6: a blocked read is served before everything else", () => {
    const r = reader({ position: 0, blocked: [600] });
    expect(planFetch(avail([[0, 100]], 1000), [r])).toEqual({
      range: { start: 600, end: 1000 },
      priority: "high",
    });
  });
});
