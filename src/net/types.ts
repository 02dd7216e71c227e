/**
 * The HTTP seam (NET-1). This file is the contract other layers code against; the undici and
 * fetch backends, retry, timeouts and the resumable body live beside it.
 */
import type { Clock } from "../core/clock.js";
import type { NetError } from "../core/errors.js";
import type { ByteRange } from "../core/ranges.js";

export type Method = "GET" | "HEAD";

/** Lower-cased header names; repeated headers joined with ", ". */
export type Headers = Readonly<Record<string, string>>;

/** What a backend is asked to do: one request, no retry, no validation. */
export interface RawRequest {
  url: string;
  /** `url` parsed (the client parses every URL once and checks its scheme). */
  target: URL;
  method: Method;
  headers: Record<string, string>;
  /**
   * The attempt's abort signal, created on first read: a backend that registers `onAbort`
   * instead never pays for an AbortController.
   */
  readonly signal: AbortSignal;
  /**
   * Register this request's teardown: called once with the abort reason (at once when the
   * attempt is already aborted). A later registration replaces an earlier one.
   */
  onAbort(teardown: (reason: unknown) => void): void;
}

/** What a backend answers. `url` is the final URL after redirects. */
export interface RawResponse {
  status: number;
  url: string;
  headers: Headers;
  body: AsyncIterable<Uint8Array>;
  /** Release the body without reading it (error paths). */
  dispose(): Promise<void>;
}

/** A transport: undici (Node) or global fetch. Errors thrown are NetErrors (Network/Unsupported...). */
export interface HttpBackend {
  readonly name: string;
  request(req: RawRequest): Promise<RawResponse>;
  close(): Promise<void>;
}

/** Observer hooks (NET-11). Every GET attempt incl. resumes reports firstByte (never HEAD). */
export interface NetObserver {
  firstByte?(info: { ttfb: number; status: number; partial: boolean }): void;
  retrying?(info: { attempt: number; maxRetries: number; error: NetError; backoff: number }): void;
  bodyStalled?(info: { consumed: number; expected: number | null; stall: number }): void;
  bodyResumed?(info: { resumeNumber: number; fromOffset: number; honouredRange: boolean }): void;
  retryExhausted?(info: { maxRetries: number; consumed: number; error: NetError }): void;
}

/** Per-request options shared by every operation. */
export interface RequestOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  observer?: NetObserver;
  /** NET-10: a `text/html` content-type fails with InvalidContentType before any body byte. */
  rejectHtml?: boolean;
  /** Runs on status + headers before the body; throw (ideally a NetError) to reject. */
  validate?: (res: { status: number; headers: Headers; url: string }) => void;
}

export interface NetConfig {
  /** NET-2: bounds connect+headers, every body-chunk gap, and reading an error body. 30 000 ms. */
  inactivityTimeoutMs: number;
  /** NET-2: optional total deadline per operation; off (undefined) by default. */
  totalDeadlineMs?: number | undefined;
  /** NET-4: 3. */
  maxRetries: number;
  /** NET-4: 100 ms. */
  backoffBaseMs: number;
  /** NET-4: 5 000 ms. */
  backoffMaxMs: number;
  /** NET-5: each non-zero delay is multiplied by a uniform factor in [1-j, 1+j]; 0.25. Tests use 0. */
  jitter: number;
  /** NET-5: 10 000 ms. */
  maxRetryAfterMs: number;
  /** NET-12: 16 MiB for getBytes. */
  maxBodyBytes: number;
  /** NET-12: 5. */
  maxRedirects: number;
  clock: Clock;
  /** Uniform [0,1) source for jitter; injectable for determinism. */
  random: () => number;
}

/** A whole small body (playlists, keys). */
export interface BytesResponse {
  status: number;
  url: string;
  headers: Headers;
  bytes: Uint8Array;
}

/** A streaming body wrapped in the resumable body (NET-9). */
export interface StreamResponse {
  status: number;
  /** Final URL after redirects. */
  url: string;
  headers: Headers;
  /** True when the server answered 206 to a range request. */
  partial: boolean;
  /** Bytes this response will deliver, when known. */
  expectedLength: number | null;
  /** Representation total (content-range total on 206, else content-length). */
  total: number | null;
  body: AsyncIterable<Uint8Array>;
  /** Bytes delivered so far by `body`. */
  readonly consumed: number;
  /** Abandon the body (releases the socket). */
  dispose(): Promise<void>;
}

export interface HeadResponse {
  status: number;
  url: string;
  headers: Headers;
  /** content-length, else the content-range total (NET-13). */
  contentLength: number | null;
}

export interface HttpClient {
  getBytes(url: string, options?: RequestOptions): Promise<BytesResponse>;
  stream(url: string, options?: RequestOptions): Promise<StreamResponse>;
  getRange(url: string, range: ByteRange, options?: RequestOptions): Promise<StreamResponse>;
  head(url: string, options?: RequestOptions): Promise<HeadResponse>;
  /** Close the connection pool; nothing is left open afterwards (CORE-4). */
  close(): Promise<void>;
}
