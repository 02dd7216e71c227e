import { describe, expect, it } from "vitest";
import { classicPolicy } from "../../src/abr/policies/classic.js";
import type { AbrView } from "../../src/abr/policy.js";
import { LADDER, setup } from "./harness.js";

function view(over: Partial<AbrView> & { currentIndex?: number }): AbrView {
  const { currentIndex = 1, ...rest } = over;
  const current = LADDER[currentIndex]!;
  return {
    now: 0,
    variants: LADDER,
    candidates: LADDER,
    current,
    estimateBps: 1_500_000,
    ttfbMs: null,
    history: [],
    bufferS: 20,
    segmentDurationS: 4,
    capBps: null,
    escaping: false,
    ...rest,
  };
}

const decide = (v: Partial<AbrView> & { currentIndex?: number }) => classicPolicy.decide(view(v));

describe("classic policy", () => {
  it("ABR-4: no estimate -> NoEstimate; no candidates -> AlreadyOptimal", () => {
    expect(decide({ estimateBps: null })).toEqual({ kind: "stay", reason: "NoEstimate" });
    expect(decide({ candidates: [] })).toEqual({ kind: "stay", reason: "AlreadyOptimal" });
  });

  it("ABR-4: up-switch needs buffer unknown or >= 10 s and adjusted >= candidate x 1.3", () => {
    // 4.5 Mbit/s / 1.5 = 3 Mbit/s: candidate 2 (2 Mbit/s); 3 >= 2.6 -> up
    expect(decide({ estimateBps: 4_500_000 })).toEqual({
      kind: "switch",
      to: 2,
      reason: "UpSwitch",
    });
    expect(decide({ estimateBps: 4_500_000, bufferS: null }).kind).toBe("switch");
    expect(decide({ estimateBps: 4_500_000, bufferS: 9.9 })).toEqual({
      kind: "stay",
      reason: "BufferTooLowForUpSwitch",
    });
    // 3.6 Mbit/s / 1.5 = 2.4: candidate 2 but 2.4 < 2.6 -> hysteresis holds
    expect(decide({ estimateBps: 3_600_000 })).toEqual({
      kind: "stay",
      reason: "BufferTooLowForUpSwitch",
    });
  });

  it("ABR-4: down-switch: urgent at buffer <= 5 s, else only when adjusted <= current x 0.8", () => {
    // current 2 (2 Mbit/s); 2.7 / 1.5 = 1.8: candidate 1; 1.8 > 1.6 -> stay
    expect(decide({ currentIndex: 2, estimateBps: 2_700_000 })).toEqual({
      kind: "stay",
      reason: "AlreadyOptimal",
    });
    expect(decide({ currentIndex: 2, estimateBps: 2_700_000, bufferS: 5 })).toEqual({
      kind: "switch",
      to: 1,
      reason: "UrgentDownSwitch",
    });
    expect(decide({ currentIndex: 2, estimateBps: 2_400_000 })).toEqual({
      kind: "switch",
      to: 1,
      reason: "DownSwitch",
    });
    // nothing fits: the lowest variant
    expect(decide({ currentIndex: 2, estimateBps: 100_000 })).toMatchObject({ to: 0 });
  });

  it("ABR-4: escaping switches to the highest candidate within estimate/1.5 without other checks", () => {
    const candidates = LADDER.filter((v) => v.index !== 1);
    expect(decide({ escaping: true, candidates, estimateBps: 9_000_000, bufferS: 0 })).toEqual({
      kind: "switch",
      to: 3,
      reason: "EscapeStalled",
    });
    expect(decide({ escaping: true, candidates, estimateBps: 1_000_000 })).toMatchObject({ to: 0 });
  });

  it("ABR-4 [+]: a current variant above the cap is switched down (CapExceeded)", () => {
    const candidates = LADDER.slice(0, 2);
    expect(
      decide({ currentIndex: 3, candidates, capBps: 1_000_000, estimateBps: 50_000_000 }),
    ).toEqual({ kind: "switch", to: 1, reason: "CapExceeded" });
  });

  it("ABR-5: non-rescue switches within 30 s of the last switch (or creation) are held", async () => {
    const { abr, id, clock, ctl, peer } = setup();
    abr.recordBandwidth(id, { bytes: 17_000_000, durationMs: 30_000, source: "network" }); // ~4.5 Mbit/s
    expect(ctl.pending()).toBeNull();
    await clock.advance(30_000);
    abr.tick(id);
    expect(ctl.pending()).toMatchObject({ target: 2, reason: "UpSwitch" });
    const c = ctl.claim();
    if (c.kind !== "Ready") throw new Error("expected Ready");
    ctl.commit(c.claim);
    abr.recordBandwidth(id, { bytes: 2_500_000, durationMs: 20_000, source: "network" }); // 1 Mbit/s
    expect(abr.tick(id)).toEqual({ kind: "stay", reason: "MinInterval" });
    peer.buffer = 3; // a rescue is never held
    expect(abr.tick(id)).toEqual({ kind: "switch", to: 0, reason: "UrgentDownSwitch" });
    await clock.advance(30_000);
    peer.buffer = 20;
    expect(abr.tick(id)).toEqual({ kind: "switch", to: 0, reason: "DownSwitch" });
  });
});
