/**
 * Parsing of a client's `Range` request header (RFC 9110 §14.1.2) for the proxy (CLI-2).
 * One range is honoured; multi-range requests are answered with the whole body (allowed).
 */

export type RangeRequest =
  | { kind: "none" }
  /** [start, end) with `end` undefined = to the end; `suffix` = the last N bytes. */
  | { kind: "range"; start: number; end: number | undefined }
  | { kind: "suffix"; length: number }
  | { kind: "invalid" };

export function parseRangeRequest(header: string | undefined): RangeRequest {
  if (header === undefined) return { kind: "none" };
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m) return { kind: "invalid" };
  const specs = m[1]!.split(",");
  if (specs.length !== 1) return { kind: "none" };
  const spec = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(specs[0]!);
  if (!spec || (spec[1] === "" && spec[2] === "")) return { kind: "invalid" };
  if (spec[1] === "") return { kind: "suffix", length: Number(spec[2]) };
  const start = Number(spec[1]);
  if (spec[2] === "") return { kind: "range", start, end: undefined };
  const last = Number(spec[2]);
  if (last < start) return { kind: "invalid" };
  return { kind: "range", start, end: last + 1 };
}

/**
 * The concrete [start, end) to send for a request against a body of `total` bytes, or
 * `undefined` when unsatisfiable (416).
 */
export function resolveRange(
  req: Exclude<RangeRequest, { kind: "none" | "invalid" }>,
  total: number,
): { start: number; end: number } | undefined {
  if (req.kind === "suffix") {
    if (req.length === 0 || total === 0) return undefined;
    return { start: Math.max(0, total - req.length), end: total };
  }
  if (req.start >= total) return undefined;
  return { start: req.start, end: Math.min(total, req.end ?? total) };
}
