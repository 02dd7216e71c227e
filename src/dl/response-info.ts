/** Building the `ResponseInfo` handed to validators and callbacks from what the net layer answers. */
import { parseContentRange, parseLength } from "../core/ranges.js";
import type { Headers, HeadResponse, StreamResponse } from "../net/types.js";
import type { ResponseInfo } from "./types.js";

export function fromStream(res: StreamResponse): ResponseInfo {
  return {
    status: res.status,
    url: res.url,
    headers: res.headers,
    partial: res.partial,
    total: res.total,
    expectedLength: res.expectedLength,
  };
}

export function fromHead(res: HeadResponse): ResponseInfo {
  return {
    status: res.status,
    url: res.url,
    headers: res.headers,
    partial: res.status === 206,
    total: res.contentLength,
    expectedLength: res.contentLength,
  };
}

/** From status and headers alone (validators run before the body; whole-body reads). */
export function fromHeaders(status: number, url: string, headers: Headers): ResponseInfo {
  const length = parseLength(headers["content-length"]) ?? null;
  const cr = status === 206 ? parseContentRange(headers["content-range"]) : undefined;
  return {
    status,
    url,
    headers,
    partial: status === 206,
    total: cr ? cr.total : length,
    expectedLength: length,
  };
}
