/**
 * A buffer-based policy in the style of BOLA (ABR-9): log utility, the lowest variant at the
 * reservoir and the highest at the buffer target, and (like BOLA-E) never above what the
 * throughput estimate sustains while the buffer is below the target.
 */
import {
  type AbrPolicy,
  type AbrView,
  highestWithin,
  type PolicyDecision,
  preamble,
} from "../policy.js";
import { decisionFor } from "./mpc.js";

export interface BolaOptions {
  name: string;
  reservoirS: number;
  targetS: number;
  /** Throughput cap below the target: highest variant <= estimate x this. */
  safety: number;
  urgentBufferS: number;
  minSwitchIntervalMs: number;
}

export const BOLA_DEFAULTS: BolaOptions = {
  name: "bola",
  reservoirS: 5,
  targetS: 30,
  safety: 0.9,
  urgentBufferS: 5,
  minSwitchIntervalMs: 0,
};

export function bolaPolicy(options: Partial<BolaOptions> = {}): AbrPolicy {
  const o = { ...BOLA_DEFAULTS, ...options };
  return {
    name: o.name,
    minSwitchIntervalMs: o.minSwitchIntervalMs,
    decide(view: AbrView): PolicyDecision {
      const early = preamble(view);
      if (early) return early;
      const c = view.candidates;
      const s0 = c[0]!.bandwidth;
      const u = c.map((v) => Math.log(v.bandwidth / s0) + 1);
      const uMax = u[u.length - 1]!;
      const buffer = view.bufferS;
      let pick = c[c.length - 1]!;
      if (buffer === null || uMax <= 1) {
        pick = highestWithin(c, view.estimateBps! * o.safety);
      } else {
        const gp = (uMax - 1) / (o.targetS / o.reservoirS - 1);
        const v = o.reservoirS / gp;
        let best = Number.NEGATIVE_INFINITY;
        c.forEach((variant, m) => {
          const score = (v * (u[m]! + gp) - buffer) / variant.bandwidth;
          if (score >= best) {
            best = score;
            pick = variant;
          }
        });
        if (buffer < o.targetS) {
          const cap = highestWithin(c, view.estimateBps! * o.safety);
          if (pick.bandwidth > cap.bandwidth && pick.bandwidth > view.current.bandwidth) {
            pick = cap.bandwidth > view.current.bandwidth ? cap : view.current;
          }
        }
      }
      return decisionFor(view, pick, o.urgentBufferS);
    },
  };
}
