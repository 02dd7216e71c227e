/** Runs algorithms over a trace set and aggregates the BENCH-6 metrics. */
import type { Content, Trace } from "./content.js";
import { type Algorithm, runTrace, type TraceScore } from "./player.js";

export interface ResultRow {
  algorithm: string;
  /** Mean per-trace QoE_lin sum over chunks 2..48. */
  qoe: number;
  qoePerChunk: number;
  /** Mean bitrate of the scored chunks, Mbit/s. */
  bitrateMbps: number;
  /** Mean per-trace rebuffering over the scored chunks, s. */
  rebufferS: number;
  /** Mean per-trace switch count. */
  switches: number;
  /** qoe / the offline optimum's qoe (null when the optimum was not run). */
  fractionOfOptimal: number | null;
}

export function aggregate(name: string, scores: readonly TraceScore[]): ResultRow {
  const n = scores.length;
  const mean = (f: (s: TraceScore) => number) => scores.reduce((a, s) => a + f(s), 0) / n;
  const qoe = mean((s) => s.qoe);
  return {
    algorithm: name,
    qoe,
    qoePerChunk: mean((s) => s.qoe / s.scored),
    bitrateMbps: mean((s) => s.bitrateSum / s.scored),
    rebufferS: mean((s) => s.rebufferS),
    switches: mean((s) => s.switches),
    fractionOfOptimal: null,
  };
}

export function runAlgorithm(
  alg: Algorithm,
  traces: readonly Trace[],
  content: Content,
): ResultRow {
  return aggregate(
    alg.name,
    traces.map((t) => runTrace(alg, t, content)),
  );
}
