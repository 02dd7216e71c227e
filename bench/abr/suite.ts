/** The BENCH-6 line-up: baselines, every plectrum policy (real src/abr code), and the optimum. */
import { DEFAULT_SMALL_SEGMENT_CORRECTION } from "../../src/abr/estimator.js";
import { DEFAULT_POLICY_NAME, POLICIES, type PolicyName } from "../../src/abr/index.js";
import { BB, bola, HLSJS, RB, robustMpc } from "./baselines.js";
import type { Content, Trace } from "./content.js";
import { optimum } from "./optimum.js";
import { type Algorithm, runTrace, type TraceScore } from "./player.js";
import { plectrumAlgorithm } from "./plectrum.js";
import { aggregate, type ResultRow } from "./run.js";

export interface BenchResult {
  mode: Content["mode"];
  traces: string;
  count: number;
  results: ResultRow[];
}

/** DP time grid per mode (see optimum.ts and docs/BENCHMARKS.md). */
export const DP_GRID_S = { video: 1, audio: 0.25 } as const;
/** DP beam per level and chunk (see optimum.ts and docs/BENCHMARKS.md). */
export const DP_BEAM = 200;

/** ABR-2 on/off rows for the default policy show whether the correction earns its place. */
export function lineup(): Algorithm[] {
  const names = Object.keys(POLICIES) as PolicyName[];
  const ours = names.map((name) =>
    plectrumAlgorithm(name === DEFAULT_POLICY_NAME ? `default (${name})` : `plectrum ${name}`, {
      policy: name,
    }),
  );
  const corr = plectrumAlgorithm(`${DEFAULT_POLICY_NAME}, ABR-2 correction flipped`, {
    policy: DEFAULT_POLICY_NAME,
    smallSegmentCorrection: !DEFAULT_SMALL_SEGMENT_CORRECTION,
  });
  return [BB, RB, bola(10), bola(30), robustMpc(5), HLSJS, ...ours, corr];
}

export function runBench(
  traces: readonly Trace[],
  content: Content,
  tracesDir: string,
): BenchResult {
  const algs = lineup();
  const scores: TraceScore[][] = algs.map((a) => traces.map((t) => runTrace(a, t, content)));
  const rows = algs.map((a, i) => aggregate(a.name, scores[i]!));
  const dp = traces.map((t) =>
    optimum(t, content, { dt: DP_GRID_S[content.mode], maxStates: DP_BEAM }),
  );
  const best = aggregate("optimum (offline DP)", dp);
  best.fractionOfOptimal = 1;
  for (const r of rows) r.fractionOfOptimal = r.qoe / best.qoe;
  return {
    mode: content.mode,
    traces: tracesDir,
    count: traces.length,
    results: [...rows, best],
  };
}
