/** The reference decision (ABR-4) with its 30 s minimum switch interval (ABR-5). */
import {
  type AbrPolicy,
  type AbrView,
  highestWithin,
  preamble,
  stay,
  switchTo,
} from "../policy.js";

export const CLASSIC_ADJUST_DIVISOR = 1.5;
export const CLASSIC_UP_BUFFER_S = 10;
export const CLASSIC_UP_HYSTERESIS = 1.3;
export const CLASSIC_URGENT_BUFFER_S = 5;
export const CLASSIC_DOWN_FACTOR = 0.8;
export const CLASSIC_MIN_INTERVAL_MS = 30_000;

export const classicPolicy: AbrPolicy = {
  name: "classic",
  minSwitchIntervalMs: CLASSIC_MIN_INTERVAL_MS,
  decide(view: AbrView) {
    const early = preamble(view, CLASSIC_ADJUST_DIVISOR);
    if (early) return early;
    const adjusted = view.estimateBps! / CLASSIC_ADJUST_DIVISOR;
    const candidate = highestWithin(view.candidates, adjusted);
    const current = view.current;
    const buffer = view.bufferS;
    if (candidate.bandwidth > current.bandwidth) {
      const bufferOk = buffer === null || buffer >= CLASSIC_UP_BUFFER_S;
      if (bufferOk && adjusted >= candidate.bandwidth * CLASSIC_UP_HYSTERESIS) {
        return switchTo(candidate.index, "UpSwitch");
      }
      return stay("BufferTooLowForUpSwitch");
    }
    if (candidate.bandwidth < current.bandwidth) {
      if (buffer !== null && buffer <= CLASSIC_URGENT_BUFFER_S) {
        return switchTo(candidate.index, "UrgentDownSwitch");
      }
      if (adjusted <= current.bandwidth * CLASSIC_DOWN_FACTOR) {
        return switchTo(candidate.index, "DownSwitch");
      }
    }
    return stay("AlreadyOptimal");
  },
};
