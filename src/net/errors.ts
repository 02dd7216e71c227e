/** Mapping of transport failures to NetErrors (CORE-3) and Status errors (NET-8). */
import { NetError } from "../core/errors.js";

const UNSUPPORTED_CODES = new Set([
  "UND_ERR_INVALID_ARG",
  "UND_ERR_NOT_SUPPORTED",
  "ERR_INVALID_URL",
  "ERR_INVALID_HTTP_TOKEN",
  "ERR_INVALID_CHAR",
]);
const TIMEOUT_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
]);

function codeOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Any thrown value as a NetError: NetErrors pass through; raw library errors are wrapped. */
export function toNetError(err: unknown, url: string): NetError {
  if (err instanceof NetError) return err;
  const code = codeOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  const suffix = code ? ` (${code})` : "";
  if (code && TIMEOUT_CODES.has(code)) {
    return new NetError("Timeout", `timed out: ${detail}${suffix}: ${url}`, { url, cause: err });
  }
  if (code && UNSUPPORTED_CODES.has(code)) {
    return new NetError("Unsupported", `unsupported request: ${detail}${suffix}: ${url}`, {
      url,
      cause: err,
    });
  }
  return new NetError("Network", `network error: ${detail}${suffix}: ${url}`, { url, cause: err });
}

/** Retry-After (ms) of a 429/503 Status error, when the server sent one. */
const retryAfters = new WeakMap<NetError, number>();

export function retryAfterOf(err: NetError): number | undefined {
  return retryAfters.get(err);
}

export const STATUS_BODY_CHARS = 200;

/** NET-8: `Status{code, url, body}`; body is the first 200 characters plus a truncation note. */
export function statusError(
  status: number,
  url: string,
  text: string,
  truncated: boolean,
  retryAfterMs: number | undefined,
): NetError {
  const head = text.slice(0, STATUS_BODY_CHARS);
  const cut = truncated || text.length > STATUS_BODY_CHARS;
  const body = cut ? `${head}… [truncated to ${STATUS_BODY_CHARS} characters]` : head;
  const err = new NetError("Status", `HTTP ${status}: ${url}`, { url, status, body });
  if (retryAfterMs !== undefined) retryAfters.set(err, retryAfterMs);
  return err;
}

export function decodeError(url: string, why: string): NetError {
  return new NetError("Decode", `${why}: ${url}`, { url });
}
