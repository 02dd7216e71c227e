/**
 * The offline optimum (BENCH-6): dynamic programming over the known trace.
 *
 * State after chunk k: (level, trace time t, deadline t + buffer) -> best QoE so far, with
 * the totals of the path that reached it. Download times are exact (cumulative payload bytes
 * over the periodic trace, inverted by binary search). Dominated states are dropped (see
 * `prune`). Discretisation: start times within `dt` compare as simultaneous, and a beam keeps
 * the best `maxStates` states per level and chunk by q + penalty x buffer. Every kept state
 * is a real schedule; docs/BENCHMARKS.md measures the gap to the undiscretised search.
 */
import type { Content, Trace } from "./content.js";
import { BUFFER_THRESH_MS, PAYLOAD_FRACTION, RTT_MS, SLEEP_STEP_MS } from "./env.js";
import type { TraceScore } from "./player.js";

export interface DpOptions {
  /** Time grid (s): states whose start times share a cell compare as simultaneous. */
  dt: number;
  /** Beam: at most this many states per level and chunk, best q + penalty x buffer first. */
  maxStates: number;
}

export const DEFAULT_DP: DpOptions = { dt: 0.25, maxStates: 200 };

/** Payload bytes delivered by trace time t, over the trace repeated (wrap to index 1 at time 0). */
class Cumulative {
  readonly #time: Float64Array;
  readonly #cum: Float64Array;
  readonly #rate: Float64Array;
  readonly period: number;
  readonly perPeriod: number;

  constructor(trace: Trace) {
    const n = trace.time.length;
    this.#time = trace.time;
    this.#cum = new Float64Array(n);
    this.#rate = new Float64Array(n);
    for (let i = 1; i < n; i++) {
      this.#rate[i] = ((trace.mbps[i]! * 1e6) / 8) * PAYLOAD_FRACTION;
      this.#cum[i] = this.#cum[i - 1]! + this.#rate[i]! * (trace.time[i]! - trace.time[i - 1]!);
    }
    this.period = trace.time[n - 1]!;
    this.perPeriod = this.#cum[n - 1]!;
  }

  bytesAt(t: number): number {
    const k = Math.floor(t / this.period);
    const x = t - k * this.period;
    let lo = 1;
    let hi = this.#time.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#time[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return k * this.perPeriod + this.#cum[lo - 1]! + this.#rate[lo]! * (x - this.#time[lo - 1]!);
  }

  /** Earliest time the cumulative payload reaches `bytes`. */
  timeOf(bytes: number): number {
    const k = Math.floor(bytes / this.perPeriod);
    let rest = bytes - k * this.perPeriod;
    if (rest <= 0 && k > 0) return k * this.period;
    rest = Math.max(rest, 0);
    let lo = 1;
    let hi = this.#time.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#cum[mid]! < rest) lo = mid + 1;
      else hi = mid;
    }
    const r = this.#rate[lo]!;
    const into = r > 0 ? (rest - this.#cum[lo - 1]!) / r : 0;
    return k * this.period + this.#time[lo - 1]! + into;
  }
}

interface Cell {
  t: number;
  /** Deadline: the time the buffer would run dry (t + buffer). */
  d: number;
  q: number;
  /** Path totals over the scored chunks: bitrate sum (Mbit/s), rebuffering (s), switches. */
  br: number;
  rb: number;
  sw: number;
}

/** Pareto staircase over (q, w): q ascending, w descending. */
class Staircase {
  readonly qs: number[] = [];
  readonly ws: number[] = [];

  /** Index of the first stored point with q' >= q. */
  #lowerBound(q: number): number {
    const qs = this.qs;
    let lo = 0;
    let hi = qs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (qs[mid]! < q) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Is (q, w) matched or beaten by a stored point? */
  covers(q: number, w: number): boolean {
    const lo = this.#lowerBound(q);
    return lo < this.qs.length && this.ws[lo]! >= w;
  }

  add(q: number, w: number): void {
    const qs = this.qs;
    const lo = this.#lowerBound(q);
    let end = lo;
    while (end > 0 && this.ws[end - 1]! <= w) end--;
    qs.splice(end, lo - end, q);
    this.ws.splice(end, lo - end, w);
  }
}

/**
 * Keep only undominated states. A (level a) dominates B (level b) when t_A <= t_B,
 * q_A - |R_a - R_b| >= q_B and w_A - |R_a - R_b| >= w_B with w = q + penalty x deadline:
 * starting no later, a download never finishes later, so with B's future actions A
 * rebuffers no more than B plus B's extra deadline (each second of it saves at most one
 * second of rebuffering, worth the penalty), and A's next switch costs at most |R_a - R_b| more.
 * Start times within one `dt` cell compare as simultaneous (the discretisation).
 */
function prune(layer: Cell[][], rates: readonly number[], dt: number, penalty: number): Cell[][] {
  const all: { s: Cell; level: number; cell: number }[] = [];
  layer.forEach((states, level) => {
    for (const s of states) all.push({ s, level, cell: Math.floor(s.t / dt) });
  });
  all.sort((a, b) => a.cell - b.cell || b.s.q - a.s.q);
  const stairs = rates.map(() => new Staircase());
  const kept: Cell[][] = rates.map(() => []);
  for (const { s, level } of all) {
    const w = s.q + penalty * s.d;
    let dominated = false;
    for (let a = 0; a < rates.length && !dominated; a++) {
      const delta = Math.abs(rates[a]! - rates[level]!);
      dominated = stairs[a]!.covers(s.q + delta, w + delta);
    }
    if (dominated) continue;
    stairs[level]!.add(s.q, w);
    kept[level]!.push(s);
  }
  return kept;
}

/** Best achievable QoE_lin over chunks 2..48 for this trace, with that path's totals. */
export function optimum(trace: Trace, content: Content, opts: DpOptions = DEFAULT_DP): TraceScore {
  const cum = new Cumulative(trace);
  const rates = content.bitratesKbps.map((k) => k / 1000);
  const levels = rates.length;
  const chunkS = content.chunkS;
  const thresh = BUFFER_THRESH_MS / 1000;
  const step = SLEEP_STEP_MS / 1000;
  const rtt = RTT_MS / 1000;
  const penalty = content.rebufferPenalty;

  // chunk 1 at the first level: it starts at t = 0 with an empty buffer and is not scored
  const first = content.firstLevel;
  const d0 = cum.timeOf(content.sizes[first]![0]!) + rtt;
  let layer: Cell[][] = Array.from({ length: levels }, () => []);
  layer[first]!.push({ t: d0, d: d0 + chunkS, q: 0, br: 0, rb: 0, sw: 0 });

  for (let k = 1; k < content.chunks; k++) {
    const next: Cell[][] = Array.from({ length: levels }, () => []);
    for (let prev = 0; prev < levels; prev++) {
      for (const s of layer[prev]!) {
        const base = cum.bytesAt(s.t);
        const b0 = s.d - s.t;
        for (let l = 0; l < levels; l++) {
          const dl = cum.timeOf(base + content.sizes[l]![k]!) - s.t + rtt;
          const rebuf = Math.max(dl - b0, 0);
          let b = Math.max(b0 - dl, 0) + chunkS;
          let t = s.t + dl;
          if (b > thresh) {
            const sleep = Math.ceil((b - thresh) / step) * step;
            b -= sleep;
            t += sleep;
          }
          const q = s.q + rates[l]! - penalty * rebuf - Math.abs(rates[l]! - rates[prev]!);
          next[l]!.push({
            t,
            d: t + b,
            q,
            br: s.br + rates[l]!,
            rb: s.rb + rebuf,
            sw: s.sw + (l === prev ? 0 : 1),
          });
        }
      }
    }
    layer = prune(next, rates, opts.dt, penalty).map((states) => {
      if (states.length <= opts.maxStates) return states;
      const score = (s: Cell) => s.q + penalty * (s.d - s.t);
      return states.sort((a, b) => score(b) - score(a)).slice(0, opts.maxStates);
    });
  }
  let best: Cell | undefined;
  for (const cells of layer) for (const c of cells) if (!best || c.q > best.q) best = c;
  const scored = content.chunks - 1;
  return { qoe: best!.q, bitrateSum: best!.br, rebufferS: best!.rb, switches: best!.sw, scored };
}
