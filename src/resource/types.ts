/**
 * The reading-while-downloading seam (RES-1, RES-2). A `ByteSource` is what a protocol layer
 * (the progressive file peer, the HLS peer) provides: random access over bytes that may still be
 * arriving. `Resource` adds the stream views on top; `createResource` builds one from any source.
 */
import type { Readable } from "node:stream";

/** `ready`: every byte of the asked range is present. `eof`: the range starts at or past the proven end. */
export type WaitOutcome = "ready" | "eof";

export interface WaitOptions {
  signal?: AbortSignal | undefined;
}

/**
 * Random access over bytes that may still be arriving (RES-2). Implemented structurally by the
 * file layer and the HLS layer, so neither imports this folder.
 */
export interface ByteSource {
  /** The URL (or absolute path) this source reads. */
  readonly url: string;
  /** Total length in bytes once known (`null` while unknown). */
  readonly length: number | null;
  /** The reader's position: where `read()` continues and what the peer fetches around. */
  readonly position: number;
  /**
   * Wait until `[start, end)` is present (`ready`) or `start` is at or past the proven end
   * (`eof`). A range reaching past a proven end is clamped to it. Never answers `eof` before the
   * end is proven (no premature EOF). Rejects with a typed error when the download failed or
   * the signal fired.
   */
  waitRange(start: number, end: number, options?: WaitOptions): Promise<WaitOutcome>;
  /**
   * Fill `buffer` from `offset`, waiting for the bytes as `waitRange` does. Resolves with the
   * count copied: `buffer.length`, fewer only at the proven end, 0 at or past it.
   */
  readAt(offset: number, buffer: Uint8Array, options?: WaitOptions): Promise<number>;
  /** Move the read position (a hint to fetch from there first, FILE-6). */
  seek(offset: number): void;
  /** The track is being played: its fetches run at high priority (FILE-3). */
  setPlaying(playing: boolean): void;
  /** Stop reading; the shared download continues for other readers. Idempotent. */
  close(): Promise<void>;
}

export interface ViewOptions {
  /** First byte (default: the current position). */
  start?: number;
  /** End, exclusive (default: the end of the resource). */
  end?: number;
  /** Bytes per read (default 64 KiB). */
  chunkSize?: number;
}

/** A `ByteSource` with sequential reads and stream views (RES-2). */
export interface Resource extends ByteSource, AsyncDisposable {
  /** Read at the position and advance it; 0 at the proven end. */
  read(buffer: Uint8Array, options?: WaitOptions): Promise<number>;
  /** A Node `Readable` over `[start, end)`; destroying it stops only this view. */
  nodeReadable(options?: ViewOptions): Readable;
  /** A web `ReadableStream` over `[start, end)`; cancelling it stops only this view. */
  webStream(options?: ViewOptions): ReadableStream<Uint8Array>;
}
