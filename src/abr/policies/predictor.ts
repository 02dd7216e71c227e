/**
 * The robust throughput predictor the model-predictive policy uses: the harmonic mean of
 * the last `window` samples, discounted by the largest relative error that predictor made on
 * the samples it could have predicted, and never above the ABR-1 estimate. Pure: everything
 * comes from the view's sample history.
 */
import type { ThroughputObservation } from "../estimator.js";

export function harmonicMean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += 1 / x;
  return xs.length / s;
}

export interface PredictorOptions {
  window: number;
  /** 1 = divide by (1 + max error) like robustMPC; 0 = no discount. */
  errorWeight: number;
  /** Also cap the prediction by the ABR-1 estimate. */
  capByEstimate: boolean;
}

export function robustPrediction(
  history: readonly ThroughputObservation[],
  estimateBps: number,
  o: PredictorOptions,
): number {
  if (history.length === 0) return estimateBps;
  const bps = history.map((h) => h.bps);
  const hm = harmonicMean(bps.slice(-o.window));
  let maxErr = 0;
  for (let i = Math.max(1, bps.length - o.window); i < bps.length; i++) {
    const pred = harmonicMean(bps.slice(Math.max(0, i - o.window), i));
    maxErr = Math.max(maxErr, Math.abs(pred - bps[i]!) / bps[i]!);
  }
  return (o.capByEstimate ? Math.min(hm, estimateBps) : hm) / (1 + o.errorWeight * maxErr);
}
