/** The player interface every simulated algorithm implements, and the per-trace run loop. */
import type { Content, Trace } from "./content.js";
import { type ChunkResult, chunkQoe, TraceSession } from "./env.js";

export interface Player {
  /** The level of the next chunk, after seeing the last one. */
  next(result: ChunkResult): number;
}

export interface Algorithm {
  name: string;
  create(trace: Trace, content: Content): Player;
}

/** Per-trace totals over the scored chunks 2..48. */
export interface TraceScore {
  qoe: number;
  /** Sum of the scored chunks' bitrates, Mbit/s. */
  bitrateSum: number;
  rebufferS: number;
  switches: number;
  scored: number;
}

export function emptyScore(): TraceScore {
  return { qoe: 0, bitrateSum: 0, rebufferS: 0, switches: 0, scored: 0 };
}

/** Score one already-chosen chunk into `s` (chunk 1 is not scored). */
export function scoreChunk(
  s: TraceScore,
  content: Content,
  chunk: number,
  level: number,
  prev: number,
  rebufferS: number,
): void {
  if (chunk === 0) return;
  s.qoe += chunkQoe(content, level, prev, rebufferS);
  s.bitrateSum += content.bitratesKbps[level]! / 1000;
  s.rebufferS += rebufferS;
  if (level !== prev) s.switches++;
  s.scored++;
}

export function runTrace(alg: Algorithm, trace: Trace, content: Content): TraceScore {
  const session = new TraceSession(trace, content);
  const player = alg.create(trace, content);
  const score = emptyScore();
  let level = content.firstLevel;
  let prev = level;
  while (!session.done) {
    const r = session.fetch(level);
    scoreChunk(score, content, r.chunk, level, prev, r.rebufferS);
    prev = level;
    if (!session.done) level = player.next(r);
  }
  return score;
}
