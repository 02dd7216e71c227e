/**
 * Byte-range helpers. Internally ranges are half-open `[start, end)`; on the wire the Range
 * header uses inclusive ends (NET-6).
 */

/** A half-open byte range; `end` undefined means "to the end of the resource". */
export interface ByteRange {
  start: number;
  end?: number | undefined;
}

function assertOffset(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

/** `bytes=s-e` (inclusive end) for `[start, end)`, or `bytes=s-` when open-ended. */
export function rangeHeader(range: ByteRange): string {
  assertOffset(range.start, "range start");
  if (range.end === undefined) return `bytes=${range.start}-`;
  assertOffset(range.end, "range end");
  if (range.end <= range.start) throw new RangeError(`empty range [${range.start}, ${range.end})`);
  return `bytes=${range.start}-${range.end - 1}`;
}

export interface ContentRange {
  start: number;
  /** Inclusive end, as on the wire. */
  end: number;
  /** Representation length; `null` for `*`. */
  total: number | null;
}

const CONTENT_RANGE = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)$/i;

/** Parse `bytes s-e/total`; `undefined` when malformed. Lengths are bounded to 15 digits. */
export function parseContentRange(value: string | undefined): ContentRange | undefined {
  if (value === undefined) return undefined;
  const m = CONTENT_RANGE.exec(value.trim());
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const total = m[3] === "*" ? null : Number(m[3]);
  return { start, end, total };
}

/** Parse a decimal header such as content-length; `undefined` when absent or malformed. */
export function parseLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d{1,15}\s*$/.test(value)) return undefined;
  return Number(value);
}

/** A set of disjoint, sorted, half-open byte ranges. */
export class RangeSet {
  #r: Array<[number, number]> = [];

  static from(ranges: Iterable<readonly [number, number]>): RangeSet {
    const s = new RangeSet();
    for (const [a, b] of ranges) s.add(a, b);
    return s;
  }

  /** Insert `[start, end)`, merging with neighbours (touching ranges coalesce). */
  add(start: number, end: number): void {
    if (end <= start) return;
    const out: Array<[number, number]> = [];
    let s = start;
    let e = end;
    let placed = false;
    for (const [a, b] of this.#r) {
      if (b < s) out.push([a, b]);
      else if (a > e) {
        if (!placed) {
          out.push([s, e]);
          placed = true;
        }
        out.push([a, b]);
      } else {
        s = Math.min(s, a);
        e = Math.max(e, b);
      }
    }
    if (!placed) out.push([s, e]);
    this.#r = out;
  }

  /** True when every byte of `[start, end)` is present (an empty range is always present). */
  contains(start: number, end: number): boolean {
    if (end <= start) return true;
    return this.#r.some(([a, b]) => a <= start && b >= end);
  }

  /** The first missing sub-range of `[from, to)` (`to` undefined = unbounded), if any. */
  firstGap(from: number, to?: number): ByteRange | undefined {
    let pos = from;
    for (const [a, b] of this.#r) {
      if (b <= pos) continue;
      if (a > pos) return { start: pos, end: to === undefined ? a : Math.min(a, to) };
      pos = b;
      if (to !== undefined && pos >= to) return undefined;
    }
    if (to !== undefined && pos >= to) return undefined;
    return { start: pos, end: to };
  }

  /** End of the contiguous run that starts at or covers `from` (`from` if none). */
  contiguousEnd(from: number): number {
    for (const [a, b] of this.#r) if (a <= from && b > from) return b;
    return from;
  }

  /** Total bytes present. */
  get size(): number {
    return this.#r.reduce((n, [a, b]) => n + (b - a), 0);
  }

  /** True when `[0, total)` has no gap. */
  isComplete(total: number): boolean {
    return this.contains(0, total);
  }

  ranges(): Array<[number, number]> {
    return this.#r.map(([a, b]) => [a, b]);
  }

  clone(): RangeSet {
    return RangeSet.from(this.#r);
  }
}
