import { describe, expect, it } from "vitest";
import { Ewma, ThroughputEstimator } from "../../src/abr/index.js";

const net = (bytes: number, durationMs: number, ttfbMs?: number) =>
  ttfbMs === undefined
    ? { bytes, durationMs, source: "network" as const }
    : { bytes, durationMs, ttfbMs, source: "network" as const };

describe("ThroughputEstimator", () => {
  it("ABR-1: the fallback (2 Mbit/s by default) is the estimate until a sample has weight", () => {
    expect(new ThroughputEstimator().estimate()).toBe(2_000_000);
    expect(new ThroughputEstimator({ initialThroughputBps: null }).estimate()).toBeNull();
    const e = new ThroughputEstimator({ initialThroughputBps: null });
    e.add(net(100_000, 1000));
    expect(e.estimate()).toBeCloseTo(800_000, 6);
  });

  it("ABR-1: zero-bias corrected EWMAs; one sample gives exactly its throughput", () => {
    const a = new Ewma(2);
    a.add(0.25, 1_000_000);
    expect(a.estimate()).toBeCloseTo(1_000_000, 6);
    const e = new ThroughputEstimator();
    e.add(net(500_000, 2000)); // 2 Mbit/s
    expect(e.estimate()).toBeCloseTo(2_000_000, 3);
  });

  it("ABR-1: half-lives 2 s and 10 s weighted by duration; estimate = min(fast, slow)", () => {
    const e = new ThroughputEstimator();
    e.add(net(1_250_000, 10_000)); // 1 Mbit/s for 10 s
    e.add(net(2_500_000, 2_000)); // 10 Mbit/s for 2 s
    const fast = new Ewma(2);
    const slow = new Ewma(10);
    for (const x of [fast, slow]) {
      x.add(10, 1_000_000);
      x.add(2, 10_000_000);
    }
    expect(e.estimate()).toBeCloseTo(Math.min(fast.estimate()!, slow.estimate()!), 3);
    expect(slow.estimate()!).toBeLessThan(fast.estimate()!);
    // the fast average reaches halfway to a new level after one half-life of samples
    const h = new Ewma(2);
    h.add(100, 0);
    h.add(2, 1);
    expect(h.estimate()).toBeCloseTo(0.5, 6);
  });

  it("ABR-1: small samples are ignored, zero durations dropped, tiny ones clamped to 0.5 ms", () => {
    const e = new ThroughputEstimator({ initialThroughputBps: null });
    expect(e.add(net(15_999, 1000))).toBeNull();
    expect(e.add(net(50_000, 0))).toBeNull();
    expect(e.estimate()).toBeNull();
    const obs = e.add(net(16_000, 0.1));
    expect(obs?.durationMs).toBe(0.5);
    expect(e.estimate()).toBeCloseTo((16_000 * 8) / 0.0005, 0);
  });

  it("ABR-1: a cache sample never feeds the averages; it sets the fallback to 100 Mbit/s", () => {
    const e = new ThroughputEstimator({ initialThroughputBps: null });
    expect(e.add({ bytes: 10_000_000, durationMs: 1, source: "cache" })).toBeNull();
    expect(e.estimate()).toBe(100_000_000);
    e.add(net(125_000, 1000));
    expect(e.estimate()).toBeCloseTo(1_000_000, 3);
  });

  it("ABR-2: with the correction on, throughput is measured over transfer time and TTFB is averaged", () => {
    const on = new ThroughputEstimator({
      smallSegmentCorrection: true,
      initialThroughputBps: null,
    });
    const off = new ThroughputEstimator({
      smallSegmentCorrection: false,
      initialThroughputBps: null,
    });
    const s = net(32_000, 400, 300); // 100 ms of transfer after 300 ms of latency
    on.add(s);
    off.add(s);
    expect(on.estimate()).toBeCloseTo((32_000 * 8) / 0.1, 0);
    expect(off.estimate()).toBeCloseTo((32_000 * 8) / 0.4, 0);
    expect(on.ttfbMs()).toBeCloseTo(300, 6);
    expect(off.ttfbMs()).toBeNull();
  });
});
