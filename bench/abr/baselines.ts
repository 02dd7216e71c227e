/**
 * The reference algorithms of the ABR literature, as the traces README calibrates them:
 * BB, RB, BOLA-BASIC, robustMPC and an hls.js-style EWMA rule. These are competitors, not
 * plectrum code; plectrum's own policies run through `src/abr` (see plectrum.ts).
 */
import { Ewma } from "../../src/abr/estimator.js";
import type { Content } from "./content.js";
import type { Algorithm, Player } from "./player.js";

const top = (c: Content) => c.bitratesKbps.length - 1;

/** BB (Huang et al.): reservoir 5 s, cushion 10 s, linear map in between. */
export const BB: Algorithm = {
  name: "BB",
  create: (_t, content) => ({
    next(r) {
      const n = top(content);
      if (r.bufferS < 5) return 0;
      if (r.bufferS >= 15) return n;
      return Math.floor((n * (r.bufferS - 5)) / 10);
    },
  }),
};

/** Throughput of a chunk in kbit/s as the reference measures it (size / delay incl. RTT). */
const kbps = (bytes: number, delayMs: number) => (bytes * 8) / delayMs;

function harmonic(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += 1 / x;
  return xs.length / s;
}

function highestAtMost(content: Content, limitKbps: number): number {
  let pick = 0;
  content.bitratesKbps.forEach((b, i) => {
    if (b <= limitKbps) pick = i;
  });
  return pick;
}

/** RB: harmonic mean of the last 5 chunk throughputs, p = 1. */
export const RB: Algorithm = {
  name: "RB",
  create: (_t, content) => {
    const past: number[] = [];
    return {
      next(r) {
        past.push(kbps(r.bytes, r.delayMs));
        return highestAtMost(content, harmonic(past.slice(-5)));
      },
    };
  },
};

/**
 * BOLA-BASIC (Spiteri et al.) with log utility, parameterised like dash.js: utilities
 * u_m = ln(S_m / S_0) + 1, gamma_p = (u_max - 1) / (target / low - 1), V = low / gamma_p, so
 * the lowest level wins at a buffer of `low` (5 s, the BB reservoir) and the highest at the
 * buffer target; picks argmax (V (u_m + gamma_p) - buffer) / S_m. No voluntary pause (the
 * conventions only sleep above 60 s).
 */
export function bola(targetS: number, lowS = 5): Algorithm {
  return {
    name: `BOLA-${targetS}s`,
    create: (_t, content) => {
      const s = content.bitratesKbps;
      const u = s.map((b) => Math.log(b / s[0]!) + 1);
      const gp = (u[u.length - 1]! - 1) / (targetS / lowS - 1);
      const v = lowS / gp;
      return {
        next(r) {
          let best = 0;
          let bestScore = Number.NEGATIVE_INFINITY;
          s.forEach((b, m) => {
            const score = (v * (u[m]! + gp) - r.bufferS) / b;
            if (score >= bestScore) {
              bestScore = score;
              best = m;
            }
          });
          return best;
        },
      };
    },
  };
}

/**
 * robustMPC (Yin et al.), as the README describes it: harmonic mean of the last 5 chunk
 * throughputs / (1 + max relative prediction error of the last 5), exhaustive search over
 * the next `horizon` chunks scoring QoE_lin with +4 s per chunk, ties to the last maximum.
 * `sizeOffset` = 1 reproduces the original code's look-up of chunk k+1's size for chunk k.
 */
export function robustMpc(horizon = 5, name = "robustMPC"): Algorithm {
  return {
    name,
    create: (_t, content) => {
      const past: number[] = []; // MB/s
      const ests: number[] = [];
      const errors: number[] = [];
      return {
        next(r) {
          const measured = r.bytes / r.delayMs / 1000;
          errors.push(ests.length > 0 ? Math.abs(ests[ests.length - 1]! - measured) / measured : 0);
          past.push(measured);
          const hm = harmonic(past.slice(-5));
          ests.push(hm);
          const bw = hm / (1 + Math.max(...errors.slice(-5)));
          const first = r.chunk + 1;
          const len = Math.min(horizon, content.chunks - first);
          return bestPlan(content, first, len, r.level, r.bufferS, bw);
        },
      };
    },
  };
}

/**
 * Exhaustive search over every level sequence of length `len` (depth-first, lexicographic,
 * so "ties to the last maximum" matches the reference's itertools.product loop; the reward
 * is formed at the leaf from integer sums like the reference, so ties break identically).
 * Returns the first level of the best sequence. `bwMBps` in MB/s.
 */
export function bestPlan(
  content: Content,
  first: number,
  len: number,
  last: number,
  bufferS: number,
  bwMBps: number,
): number {
  const rates = content.bitratesKbps;
  const n = rates.length;
  const dl: number[][] = [];
  for (let d = 0; d < len; d++) {
    dl.push(rates.map((_, q) => content.sizes[q]![first + d]! / 1e6 / bwMBps));
  }
  let best = last;
  let bestReward = Number.NEGATIVE_INFINITY;
  const walk = (
    d: number,
    prev: number,
    buf: number,
    reb: number,
    rate: number,
    sm: number,
    head: number,
  ) => {
    const row = dl[d]!;
    for (let q = 0; q < n; q++) {
      const t = row[q]!;
      let b = buf;
      let r = reb;
      if (b < t) {
        r += t - b;
        b = 0;
      } else b -= t;
      b += content.chunkS;
      const rs = rate + rates[q]!;
      const ss = sm + Math.abs(rates[q]! - rates[prev]!);
      const h = d === 0 ? q : head;
      if (d + 1 === len) {
        const reward = rs / 1000 - content.rebufferPenalty * r - ss / 1000;
        if (reward >= bestReward) {
          bestReward = reward;
          best = h;
        }
      } else walk(d + 1, q, b, r, rs, ss, h);
    }
  };
  if (len > 0) walk(0, last, bufferS, 0, 0, 0, last);
  return best;
}

/**
 * hls.js-style rule: EWMAs with half-lives 3 s / 9 s weighted by fetch seconds, estimate =
 * min; from the top level down, the first whose bitrate fits bw x 0.95 (levels at or below
 * the current one) or bw x 0.7 (above it) and whose fetch time fits the buffer + 4 s.
 */
export const HLSJS: Algorithm = {
  name: "hls.js",
  create: (_t, content) => {
    const fast = new Ewma(3);
    const slow = new Ewma(9);
    return {
      next(r): number {
        const s = Math.max(r.delayMs, 50) / 1000;
        const bps = (r.bytes * 8) / s;
        fast.add(s, bps);
        slow.add(s, bps);
        const bw = Math.min(fast.estimate()!, slow.estimate()!) / 1000;
        for (let i = top(content); i >= 0; i--) {
          const adjusted = bw * (i <= r.level ? 0.95 : 0.7);
          const rate = content.bitratesKbps[i]!;
          const fetchS = (rate * content.chunkS) / adjusted;
          if (adjusted >= rate && fetchS < r.bufferS + 4) return i;
        }
        return 0;
      },
    };
  },
};

export type { Player };
