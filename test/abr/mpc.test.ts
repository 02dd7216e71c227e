import { describe, expect, it } from "vitest";
import type { ThroughputObservation } from "../../src/abr/estimator.js";
import { mpcPolicy, planFirstStep } from "../../src/abr/policies/mpc.js";
import type { AbrView } from "../../src/abr/policy.js";
import { LADDER } from "./harness.js";

const MBPS = [1, 2, 3].map((m, index) => ({ index, bandwidth: m * 1e6 }));

function obs(bps: number): ThroughputObservation {
  return { bytes: bps / 2, bps, durationMs: 4000 };
}

function view(bufferS: number, history: ThroughputObservation[]): AbrView {
  const current = LADDER[0]!;
  return {
    now: 100_000,
    variants: LADDER,
    candidates: LADDER,
    current,
    estimateBps: Math.max(...history.map((h) => h.bps)),
    ttfbMs: null,
    history,
    bufferS,
    segmentDurationS: 4,
    capBps: null,
    escaping: false,
  };
}

describe("mpc plan (ABR-9)", () => {
  it("ABR-9: a value for the buffer left at the horizon stops the plan draining it", () => {
    // 3 Mbit/s at 2.5 Mbit/s stalls 0.8 s but scores more over one step than 2 Mbit/s.
    const args = [MBPS, MBPS[2]!, 4, 2.5e6, 0, 4, 1, 1, 0] as const;
    expect(planFirstStep(...args).index).toBe(2);
    expect(planFirstStep(...args, (b) => 0.5 * Math.min(b, 4.8)).index).toBe(1);
  });

  it("ABR-9: the error discount is full at an empty buffer and relaxes as the buffer grows", () => {
    const volatile = [1, 6, 1, 6, 1, 6, 1, 6].map((m) => obs(m * 1e6));
    const full = mpcPolicy({ relaxBufferS: 0 });
    const relaxed = mpcPolicy({ relaxBufferS: 15 });
    const target = (d: ReturnType<typeof full.decide>) => (d.kind === "switch" ? d.to : 0);
    expect(relaxed.decide(view(0, volatile))).toEqual(full.decide(view(0, volatile)));
    const high = view(40, volatile);
    expect(target(relaxed.decide(high))).toBeGreaterThan(target(full.decide(high)));
  });
});
