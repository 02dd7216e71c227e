/**
 * Response validation before any body byte is consumed: content-encoding (NET-7), range
 * answers (NET-6), HTML pages (NET-10). Every failure is a typed NetError.
 */
import { NetError } from "../core/errors.js";
import { parseContentRange, parseLength } from "../core/ranges.js";
import { decodeError } from "./errors.js";
import type { Headers } from "./types.js";

/** What a validated 2xx answer delivers. */
export interface BodyShape {
  status: number;
  /** 206 with a valid content-range. */
  partial: boolean;
  /** Bytes this response will deliver, when known. */
  expectedLength: number | null;
  /** Representation total (content-range total on 206, else content-length). */
  total: number | null;
}

/** An absolute range as asked on the wire: `end` inclusive, undefined = open-ended. */
export interface WireRange {
  start: number;
  end: number | undefined;
}

export function wireRangeHeader(r: WireRange): string {
  return `bytes=${r.start}-${r.end ?? ""}`;
}

/** NET-7: a 2xx with a non-identity content-encoding is a Decode error. */
export function checkEncoding(headers: Headers, url: string): void {
  const enc = headers["content-encoding"]?.trim().toLowerCase();
  if (enc && enc !== "identity") {
    throw decodeError(url, `unexpected content-encoding "${enc}" (identity was asked)`);
  }
}

/** NET-10: `text/html` (any case) is InvalidContentType. */
export function checkNotHtml(headers: Headers, url: string): void {
  const type = headers["content-type"]?.trim().toLowerCase();
  if (type?.startsWith("text/html")) {
    throw new NetError(
      "InvalidContentType",
      `got an HTML page (${type}) instead of media: ${url}`,
      {
        url,
      },
    );
  }
}

/** NET-6 for a 2xx answer to a request with or without a range. */
export function checkRange(
  status: number,
  headers: Headers,
  range: WireRange | undefined,
  url: string,
): BodyShape {
  const length = parseLength(headers["content-length"]);
  if (headers["content-length"] !== undefined && length === undefined) {
    throw decodeError(url, `malformed content-length "${headers["content-length"]}"`);
  }
  const crHeader = headers["content-range"];
  if (!range) {
    if (crHeader !== undefined)
      throw decodeError(url, "content-range on a request without a range");
    if (status === 206) {
      throw new NetError("Status", `HTTP 206 to a request without a range: ${url}`, {
        url,
        status,
      });
    }
    // 204 and 304 never have a body, whatever content-length says (RFC 9110 8.6).
    if (status === 204 || status === 304)
      return { status, partial: false, expectedLength: 0, total: 0 };
    return { status, partial: false, expectedLength: length ?? null, total: length ?? null };
  }
  if (status === 200) {
    if (crHeader !== undefined) throw decodeError(url, "content-range on a 200 answer");
    // The server ignored the range: the caller gets the whole body (NET-6).
    return { status, partial: false, expectedLength: length ?? null, total: length ?? null };
  }
  if (status !== 206) throw decodeError(url, `unexpected status ${status} to a range request`);
  const cr = parseContentRange(crHeader);
  if (!cr) throw decodeError(url, `missing or malformed content-range "${crHeader ?? ""}"`);
  if (cr.start !== range.start) {
    throw decodeError(url, `content-range starts at ${cr.start}, asked ${range.start}`);
  }
  if (cr.end < cr.start) throw decodeError(url, `content-range end ${cr.end} before start`);
  if (range.end !== undefined && cr.end > range.end) {
    throw decodeError(url, `content-range end ${cr.end} past the asked end ${range.end}`);
  }
  if (cr.total === null) throw decodeError(url, "content-range total is unknown (*)");
  if (cr.total <= cr.end)
    throw decodeError(url, `content-range total ${cr.total} <= end ${cr.end}`);
  const span = cr.end - cr.start + 1;
  if (length !== undefined && length !== span) {
    throw decodeError(url, `content-length ${length} differs from the content-range span ${span}`);
  }
  return { status, partial: true, expectedLength: span, total: cr.total };
}
