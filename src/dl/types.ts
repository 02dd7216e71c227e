/**
 * The Downloader's public seam (DL-2, DL-3). Protocol peers (file, HLS) implement `Peer`
 * and hand `FetchCmd`s to the scheduler through `poll()`.
 */
import type { AbrPeerSurface } from "../abr/types.js";
import type { CancelToken } from "../core/cancel.js";
import type { NetError } from "../core/errors.js";
import type { ByteRange } from "../core/ranges.js";
import type { Priority } from "../events/domains/downloader.js";
import type { Headers, Method } from "../net/types.js";

export type { Priority };

/** `poll()` answers: commands to run, nothing now, or finished for good (DL-2). */
export type PollResult = readonly FetchCmd[] | "pending" | "done";

export interface Peer extends AbrPeerSurface {
  poll(): PollResult;
  /** `high` for the track being played; default `low`. */
  priority(): Priority;
}

/** Headers and status handed to `onResponse`/`onComplete`. */
export interface ResponseInfo {
  status: number;
  url: string;
  headers: Headers;
  partial: boolean;
  total: number | null;
  expectedLength: number | null;
}

/** A streaming fetch command (DL-3). */
export interface FetchCmd {
  url: string;
  method?: Method;
  range?: ByteRange;
  headers?: Record<string, string>;
  /** Seek epoch: firing it cancels this command (reason EpochCancel). */
  epoch?: CancelToken;
  /** Absent = low. */
  priority?: Priority;
  /** NET-10 validator. */
  rejectHtml?: boolean;
  /** Runs on headers before the body; throw to reject. */
  validate?: (res: ResponseInfo) => void;
  /** Called per body chunk, in order; may return a promise (backpressure). A throw is a fatal Decode error. */
  writer?: (chunk: Uint8Array) => void | Promise<void>;
  /** Once, before the first chunk. */
  onResponse?: (res: ResponseInfo) => void;
  /** Once, at the soft timeout (DL-10). */
  onSlow?: () => void;
  /** Exactly once (DL-7). `bytes` = bytes handed to the writer. */
  onComplete: (
    bytes: number,
    response: ResponseInfo | undefined,
    error: NetError | undefined,
  ) => void;
}

/** An imperative fetch (DL-9): the whole body is read and returned. */
export interface ExecCmd {
  url: string;
  method?: Method;
  range?: ByteRange;
  headers?: Record<string, string>;
  epoch?: CancelToken;
  rejectHtml?: boolean;
  validate?: (res: ResponseInfo) => void;
}

export interface ExecResult {
  response: ResponseInfo;
  bytes: Uint8Array;
}

export type BatchResult = { ok: true; value: ExecResult } | { ok: false; error: NetError };
