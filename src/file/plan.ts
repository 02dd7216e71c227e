/**
 * Which range the progressive peer fetches next (FILE-3, FILE-6). Pure: availability and the
 * readers' demand in, one range and its priority out.
 */
import type { ByteRange } from "../core/ranges.js";
import type { Priority } from "../dl/types.js";

/** What the planner needs to know about present bytes (the store's answer, STORE-3). */
export interface Availability {
  finalLength(): number | undefined;
  firstGap(from: number, to?: number): ByteRange | undefined;
}

/** One reader's demand. */
export interface Demand {
  /** Read position (seek / sequential reads). */
  position: number;
  /** Bytes wanted ahead of the position (`Infinity` = no limit, the default). */
  lookAhead: number;
  /** Highest end any of its waits asked for (0 if none). */
  requestedEnd: number;
  /** Starts of waits that are blocked right now, oldest first. */
  blocked: readonly number[];
}

export interface PlannedFetch {
  range: ByteRange;
  /** `high` for bytes a reader waits on or just sought to; `low` for back-fill. */
  priority: Priority;
}

/** FILE-3: max over readers of (position + look-ahead, highest requested end). */
export function watermark(demands: readonly Demand[]): number {
  let w = 0;
  for (const d of demands) w = Math.max(w, d.position + d.lookAhead, d.requestedEnd);
  return w;
}

/**
 * The next fetch, or `undefined` when nothing below the watermark is missing.
 * Order: bytes a reader is blocked on; then forward from each reader's position (after a seek
 * past the prefix this is the seek target, FILE-6); then the first gap from 0 (back-fill).
 * Only the first two are `high`: back-fill and plain read-ahead never compete with what a reader
 * is waiting for (the peer's own priority still says whether its track is playing).
 */
export function planFetch(
  avail: Availability,
  demands: readonly Demand[],
): PlannedFetch | undefined {
  const total = avail.finalLength();
  const w = watermark(demands);
  const limit = w === Number.POSITIVE_INFINITY ? total : Math.min(w, total ?? w);
  const gapFrom = (from: number) =>
    limit !== undefined && from >= limit ? undefined : avail.firstGap(from, limit);

  const blocked = demands.flatMap((d) => d.blocked).sort((a, b) => a - b);
  for (const start of blocked) {
    const g = gapFrom(start);
    if (g) return { range: g, priority: "high" };
  }
  const prefixGap = gapFrom(0);
  if (!prefixGap) return undefined;
  const positions = demands.map((d) => d.position).sort((a, b) => a - b);
  for (const p of positions) {
    if (p <= prefixGap.start) continue;
    const g = gapFrom(p);
    if (g) return { range: g, priority: "high" };
  }
  return { range: prefixGap, priority: "low" };
}
