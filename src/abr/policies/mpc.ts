/**
 * A model-predictive policy (ABR-9): plan the next `horizon` segments exhaustively, scoring
 * QoE_lin (bitrate - rebuffering x penalty - |switch|) plus a capped value of the buffer left
 * at the end, with a robust throughput prediction (its error discount relaxed as the buffer
 * grows) and the ABR-2 TTFB per fetch, and take the first step of the best plan. Segment sizes are
 * the nominal bandwidth x segment duration (the peer does not know the bytes in advance).
 */
import type { VariantInfo } from "../../events/domains/abr.js";
import {
  type AbrPolicy,
  type AbrView,
  type PolicyDecision,
  preamble,
  stay,
  switchTo,
} from "../policy.js";
import { type PredictorOptions, robustPrediction } from "./predictor.js";

export interface MpcOptions extends PredictorOptions {
  name: string;
  horizon: number;
  /** Per second of rebuffering; `null` = the top variant's Mbit/s (QoE_lin's usual choice). */
  rebufferPenalty: number | null;
  /** Multiplies the rebuffering penalty inside the plan (robustness against mispredictions). */
  rebufferWeight: number;
  /** Multiplies the switching term inside the plan. */
  switchWeight: number;
  /** Buffer assumed when the peer does not report one (s). */
  unknownBufferS: number;
  /** Down-switches at or below this buffer are rescues (UrgentDownSwitch, ABR-5). */
  urgentBufferS: number;
  minSwitchIntervalMs: number;
  defaultSegmentS: number;
  /**
   * Value of the buffer left at the end of the plan, per second (up to `terminalCapS`), as a
   * fraction of the plan's rebuffering penalty: stops the plan draining the buffer for bitrate
   * on its last steps as if playback ended at the horizon.
   */
  terminalWeight: number;
  terminalCapS: number;
  /**
   * The predictor's error discount fades linearly to nothing as the buffer grows to this many
   * seconds (a full buffer absorbs a misprediction); 0 = always the full discount.
   */
  relaxBufferS: number;
}

export const MPC_DEFAULTS: MpcOptions = {
  name: "mpc",
  horizon: 5,
  window: 5,
  errorWeight: 0.3,
  capByEstimate: true,
  rebufferPenalty: null,
  rebufferWeight: 3,
  switchWeight: 1,
  unknownBufferS: 10,
  urgentBufferS: 5,
  minSwitchIntervalMs: 0,
  defaultSegmentS: 4,
  terminalWeight: 0.1,
  terminalCapS: 10,
  relaxBufferS: 15,
};

/** First step of the best plan over `levels` (ties to the higher first level). */
export function planFirstStep(
  levels: readonly VariantInfo[],
  current: VariantInfo,
  bufferS: number,
  bps: number,
  ttfbS: number,
  segS: number,
  horizon: number,
  penalty: number,
  switchWeight = 1,
  terminal: (bufferS: number) => number = () => 0,
): VariantInfo {
  const mbps = levels.map((v) => v.bandwidth / 1e6);
  const dl = levels.map((v) => ttfbS + (v.bandwidth * segS) / bps);
  const cur = current.bandwidth / 1e6;
  let best = levels[0]!;
  let bestReward = Number.NEGATIVE_INFINITY;
  const walk = (d: number, prev: number, buf: number, reward: number, head: number) => {
    for (let q = 0; q < levels.length; q++) {
      const t = dl[q]!;
      const rebuf = Math.max(t - buf, 0);
      const b = Math.max(buf - t, 0) + segS;
      const r = reward + mbps[q]! - penalty * rebuf - switchWeight * Math.abs(mbps[q]! - prev);
      const h = d === 0 ? q : head;
      if (d + 1 === horizon) {
        const total = r + terminal(b);
        if (total >= bestReward) {
          bestReward = total;
          best = levels[h]!;
        }
      } else walk(d + 1, mbps[q]!, b, r, h);
    }
  };
  walk(0, cur, bufferS, 0, 0);
  return best;
}

export function mpcPolicy(options: Partial<MpcOptions> = {}): AbrPolicy {
  const o = { ...MPC_DEFAULTS, ...options };
  return {
    name: o.name,
    minSwitchIntervalMs: o.minSwitchIntervalMs,
    decide(view: AbrView): PolicyDecision {
      const early = preamble(view);
      if (early) return early;
      const segS = view.segmentDurationS ?? o.defaultSegmentS;
      const buffer = view.bufferS ?? o.unknownBufferS;
      const relax = o.relaxBufferS > 0 ? Math.max(0, 1 - buffer / o.relaxBufferS) : 1;
      const bps = robustPrediction(view.history, view.estimateBps!, {
        ...o,
        errorWeight: o.errorWeight * relax,
      });
      const ttfbS = (view.ttfbMs ?? 0) / 1000;
      const penalty =
        o.rebufferWeight *
        (o.rebufferPenalty ?? view.variants[view.variants.length - 1]!.bandwidth / 1e6);
      const pick = planFirstStep(
        view.candidates,
        view.current,
        buffer,
        bps,
        ttfbS,
        segS,
        o.horizon,
        penalty,
        o.switchWeight,
        (b) => o.terminalWeight * penalty * Math.min(b, o.terminalCapS),
      );
      return decisionFor(view, pick, o.urgentBufferS);
    },
  };
}

/** Name a policy's pick the way ABR-4 does (up, down, urgent down, or stay). */
export function decisionFor(
  view: AbrView,
  pick: VariantInfo,
  urgentBufferS: number,
): PolicyDecision {
  if (pick.index === view.current.index) return stay("AlreadyOptimal");
  if (pick.bandwidth > view.current.bandwidth) return switchTo(pick.index, "UpSwitch");
  const urgent = view.bufferS !== null && view.bufferS <= urgentBufferS;
  return switchTo(pick.index, urgent ? "UrgentDownSwitch" : "DownSwitch");
}
