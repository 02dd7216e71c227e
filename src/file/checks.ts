/**
 * FILE-4 response checks, run on headers before any body byte is written. The net layer has
 * already applied NET-6; this adds what a progressive resource needs: the content-range must
 * match the request exactly, and a total must not contradict the one already known.
 */
import { NetError } from "../core/errors.js";
import { type ByteRange, parseContentRange } from "../core/ranges.js";
import type { ResponseInfo } from "../dl/types.js";

/** Where an accepted response's body lands and what it says about the total. */
export interface Accepted {
  /** Offset of the body's first byte in the resource. */
  offset: number;
  /** Representation length when the response states it. */
  total: number | null;
  /** A 200: the whole representation (also when a range was asked and ignored). */
  whole: boolean;
}

const HLS_TYPES = /^(application\/(vnd\.apple\.mpegurl|x-mpegurl)|audio\/(x-)?mpegurl)\b/i;

/** True when a content-type names an HLS playlist (RES-1 routing). */
export function isHlsContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && HLS_TYPES.test(contentType.trim());
}

function decode(url: string, message: string): NetError {
  return new NetError("Decode", `${message} (${url})`, { url });
}

/**
 * Accept or reject a response to `asked` (undefined = no Range sent). `knownTotal` is the
 * length the store already holds, if any. Throws a `Decode` NetError on a mismatch.
 */
export function acceptResponse(
  asked: ByteRange | undefined,
  res: ResponseInfo,
  knownTotal: number | undefined,
): Accepted {
  const cr = res.partial ? parseContentRange(res.headers["content-range"]) : undefined;
  const total = res.partial ? (cr?.total ?? null) : res.total;
  if (total !== null && knownTotal !== undefined && total !== knownTotal)
    throw decode(res.url, `total ${total} contradicts the known length ${knownTotal}`);
  if (!res.partial) {
    // A 200 is the whole representation: a server that ignored our range (from 0, FILE-4; or
    // from further on, which we also accept and rewrite from 0) sends every byte.
    return { offset: 0, total, whole: true };
  }
  if (!asked || !cr || cr.total === null)
    throw decode(res.url, `unusable content-range "${res.headers["content-range"] ?? ""}"`);
  const wantEnd = asked.end === undefined ? cr.total - 1 : asked.end - 1;
  if (cr.start !== asked.start || cr.end !== wantEnd)
    throw decode(
      res.url,
      `content-range ${cr.start}-${cr.end} does not match the requested ${asked.start}-${wantEnd}`,
    );
  return { offset: asked.start, total: cr.total, whole: false };
}
