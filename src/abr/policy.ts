/**
 * The policy interface (ABR-9): a pure function from a view of one peer to a decision.
 * The controller applies the shared contracts around it (lock, manual mode, minimum switch
 * interval, pending/commit), so a policy only chooses among `candidates`.
 */
import type { StayReason, SwitchReason, VariantInfo } from "../events/domains/abr.js";
import type { ThroughputObservation } from "./estimator.js";

export interface AbrView {
  /** Clock time in ms. */
  now: number;
  /** Every variant, ascending by bandwidth. */
  variants: readonly VariantInfo[];
  /** Variants within the cap, ascending; the current one removed while escaping (ABR-4). */
  candidates: readonly VariantInfo[];
  current: VariantInfo;
  /** ABR-1 estimate; `null` = no estimate. */
  estimateBps: number | null;
  /** ABR-2 TTFB average in ms; `null` when the correction is off. */
  ttfbMs: number | null;
  /** Recent accepted throughput samples, oldest first. */
  history: readonly ThroughputObservation[];
  /** Seconds of media downloaded ahead of the reader; `null` = unknown. */
  bufferS: number | null;
  /** Segment duration in seconds when the peer reports it. */
  segmentDurationS: number | null;
  capBps: number | null;
  escaping: boolean;
}

export type PolicyDecision =
  | { kind: "stay"; reason: StayReason }
  | { kind: "switch"; to: number; reason: SwitchReason };

export interface AbrPolicy {
  readonly name: string;
  /**
   * ABR-5: non-rescue switches within this many ms of the previous switch (or of the state's
   * creation) are held by the controller as stay(MinInterval).
   */
  readonly minSwitchIntervalMs: number;
  decide(view: AbrView): PolicyDecision;
}

/** Reasons the minimum switch interval never holds (ABR-5, [+] CapExceeded). */
export const RESCUE_REASONS: ReadonlySet<SwitchReason> = new Set([
  "EscapeStalled",
  "UrgentDownSwitch",
  "Manual",
  "CapExceeded",
]);

export const stay = (reason: StayReason): PolicyDecision => ({ kind: "stay", reason });
export const switchTo = (to: number, reason: SwitchReason): PolicyDecision => ({
  kind: "switch",
  to,
  reason,
});

/** Highest candidate with bandwidth <= bps, else the lowest (ABR-4). */
export function highestWithin(candidates: readonly VariantInfo[], bps: number): VariantInfo {
  let pick = candidates[0]!;
  for (const v of candidates) if (v.bandwidth <= bps) pick = v;
  return pick;
}

/**
 * The shared preamble every shipped policy runs first (ABR-4 order): no estimate, no
 * candidates, stall escape and the [+] cap rescue. Returns `undefined` when the policy
 * should decide on its own. `adjustDivisor` is the classic safety divisor for the escape.
 */
export function preamble(view: AbrView, adjustDivisor = 1.5): PolicyDecision | undefined {
  if (view.estimateBps === null) return stay("NoEstimate");
  if (view.candidates.length === 0) return stay("AlreadyOptimal");
  const target = highestWithin(view.candidates, view.estimateBps / adjustDivisor);
  if (view.escaping) return switchTo(target.index, "EscapeStalled");
  if (view.capBps !== null && view.current.bandwidth > view.capBps) {
    return switchTo(target.index, "CapExceeded");
  }
  return undefined;
}
