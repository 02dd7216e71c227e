/**
 * The asset store's public seam (STORE-1..7). `DiskStore` and `MemoryStore` both implement
 * `AssetStore`; file/, hls/, resource/ and cli/ code against these interfaces only.
 *
 * Shape: store -> asset (one per canonical asset URL, `assetRoot` = 32 hex) -> resource
 * (one per resource URL, or URL + byte range / explicit name). A resource's availability
 * (present byte ranges, final length, validator) lives ONLY here (STORE-3); writers update
 * it, readers query it or wait on it.
 *
 * Construction: `await DiskStore.open({ root, bus, maxBytes })` (runs start-up eviction) or
 * `new MemoryStore({ bus })`. Errors are `StoreError` (errors.ts) with a `kind`.
 */
import type { ByteRange } from "../core/ranges.js";
import type { EventBus } from "../events/bus.js";
import type { EvictReason } from "../events/domains/asset.js";

export type { EvictReason };

/** HTTP validator recorded with a partial download, so a resume can send `if-range` (STORE-3). */
export interface Validator {
  etag?: string | undefined;
  lastModified?: string | undefined;
}

/** `absent`: no bytes; `partial`: a `.part` with some ranges; `committed`: the canonical file. */
export type ResourceState = "absent" | "partial" | "committed";

/** What changed on a resource; listeners receive it synchronously after the change. */
export type ResourceChange =
  | { kind: "ranges"; start: number; end: number }
  | { kind: "length"; total: number }
  | { kind: "committed"; total: number }
  /** Bytes were dropped (writer discarded/reset, resource or asset removed/evicted). */
  | { kind: "cleared" };

/** Which resource of an asset. `name` overrides the path derived from `url`; `byteRange`
 * (EXT-X-BYTERANGE) makes a distinct resource per sub-range of one URL. */
export interface ResourceOptions {
  name?: string;
  byteRange?: { start: number; end: number };
}

/** A held pin: the resource (and so its asset) is never evicted until released (STORE-4). */
export interface Pin {
  release(): void;
  [Symbol.dispose](): void;
}

/** Random-access reads of present bytes; holds a pin and (disk) one open fd until `close()`. */
export interface ResourceReader {
  /** Exactly `length` bytes at `offset`. Throws `StoreError("NotAvailable")` unless
   * `containsRange(offset, offset + length)`. Works across the `.part` -> commit rename. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The single writer of one resource (STORE-2). Exclusive across processes (lock file with
 * pid; a dead owner's lock is taken over) and within a process. Holds a pin. Exactly one of
 * `commit()`, `release()`, `discard()` ends it; after that every method throws `Closed`.
 */
export interface ResourceWriter {
  readonly resource: ResourceHandle;
  /** Write `bytes` at `offset` into `<path>.part`; the range becomes available once the
   * write lands (listeners/waiters wake). Writes past a known final length throw. Resolves
   * once every byte queued so far has landed (`append` + `flush`). */
  write(offset: number, bytes: Uint8Array): Promise<void>;
  /** Write-behind for streamed bodies: queue `bytes` (not to be modified afterwards) at
   * `offset`. Contiguous chunks are coalesced into ~1 MiB positional writes; each range
   * becomes available once its write lands, within one event-loop turn of its arrival when
   * the disk keeps up. Returns a promise only when the caller should wait (a few MiB queued:
   * back-pressure). After a failed write the writer refuses further bytes: `append` and
   * `flush` throw that failure (the failed range stays absent). With `handOver`, the caller
   * gives up `bytes` entirely: once written (or dropped), memory a transport lent for them is
   * given back (core `giveBack`) and may be overwritten, so nobody may read them afterwards. */
  append(offset: number, bytes: Uint8Array, handOver?: boolean): Promise<void> | undefined;
  /** Resolves once every queued byte has landed; throws the first failed write. */
  flush(): Promise<void>;
  /** Set the total length. Throws `LengthMismatch` if a different total is already known or
   * bytes exist past it. */
  setLength(total: number): void;
  setValidator(validator: Validator): void;
  /** Drop every present byte, the length and the validator (e.g. the validator changed);
   * the claim is kept. */
  reset(): Promise<void>;
  /** Persist the range map (data fdatasync, then the index record) so it survives a crash
   * (STORE-3 [+]). Also done on `release()` and, in the background (not stalling writes),
   * every `checkpointBytes`; a failed background datasync fails the next write/commit and
   * makes `release()` discard, since the kernel may have dropped those pages. */
  checkpoint(): Promise<void>;
  /** Flush + fsync + rename `.part` -> canonical + directory fsync, then index record and
   * `Committed` event. Throws `Incomplete` unless the length is known and [0, total) has
   * no gap. Runs eviction afterwards (STORE-4 [+]). */
  commit(): Promise<void>;
  /** Give up the claim, keeping the `.part` and its (checkpointed) range map so another
   * claimant continues from the bytes on disk. */
  release(): Promise<void>;
  /** Give up the claim and delete the `.part` and its ranges. */
  discard(): Promise<void>;
  readonly closed: boolean;
  /** `release()` unless already closed. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** One resource of an asset: availability queries (STORE-3), reads, the claim. Handles for the
 * same resource in one process share one state object. */
export interface ResourceHandle {
  readonly url: string;
  /** Portable relative path inside the asset root (STORE-1); also the resource's identity. */
  readonly key: string;
  /** Absolute canonical file path on disk; `undefined` for the memory store. */
  readonly path: string | undefined;
  state(): ResourceState;
  containsRange(start: number, end: number): boolean;
  finalLength(): number | undefined;
  availableRanges(): Array<[number, number]>;
  /** First missing sub-range of [from, to) (`to` defaults to the final length, else open). */
  firstGap(from: number, to?: number): ByteRange | undefined;
  /** Bytes present. */
  presentBytes(): number;
  validator(): Validator | undefined;
  /** True when this process or another live one holds the writer claim. */
  isClaimed(): boolean;
  /** Re-read the persisted state (another process's checkpoints or commit) unless this
   * process holds the claim; listeners and waiters see the change. */
  refresh(): Promise<void>;
  /** Synchronous change listener; returns the unsubscribe function. */
  onChange(listener: (change: ResourceChange) => void): () => void;
  /** Resolves once [start, min(end, finalLength)) is present. Rejects with the signal's reason
   * on abort, or `StoreError("Closed")` when the store closes. Never resolves early. */
  waitRange(start: number, end: number, signal?: AbortSignal): Promise<void>;
  /** Claim the single writer; `undefined` when someone else (live) holds it, or when the
   * claim finds that another process has meanwhile committed it. Throws `Busy` on a committed
   * resource (`remove()` first, or use `putWhole` to replace). */
  tryClaim(): Promise<ResourceWriter | undefined>;
  /** Atomically replace the resource with `bytes` (claim, write, commit). Throws `Busy` if
   * another writer holds the claim. For playlists, keys, decrypted segments. */
  putWhole(bytes: Uint8Array, validator?: Validator): Promise<void>;
  /** All bytes of a committed resource; throws `NotAvailable` otherwise. */
  readWhole(): Promise<Uint8Array>;
  /** One-off read (see `ResourceReader.read`). */
  read(offset: number, length: number): Promise<Uint8Array>;
  openReader(): Promise<ResourceReader>;
  pin(): Pin;
  /** Delete this resource (committed file or `.part`). Throws `Busy` while pinned/claimed. */
  remove(): Promise<void>;
}

/** One asset (everything fetched for one canonical asset URL). */
export interface AssetHandle {
  readonly url: string;
  /** 32 hex chars (STORE-1). */
  readonly assetRoot: string;
  /** Absolute asset directory; `undefined` for the memory store. */
  readonly dir: string | undefined;
  resource(url: string, options?: ResourceOptions): Promise<ResourceHandle>;
  /** Resources known to the index. */
  resources(): ResourceHandle[];
}

export interface AssetInfo {
  assetRoot: string;
  /** Canonical asset URL, when known. */
  url: string | undefined;
  /** Bytes on disk, committed + partial. */
  bytes: number;
  committed: number;
  partial: number;
  /** Epoch ms of last use (open, read, commit); the LRU key (STORE-4). */
  lastUsed: number;
  pinned: boolean;
}

export interface VerifyProblem {
  assetRoot: string;
  resource: string;
  problem:
    | "missing-file"
    | "size-mismatch"
    | "unindexed-file"
    | "orphan-part"
    | "part-too-short"
    | "index-damaged";
  detail: string;
}

export interface VerifyReport {
  assets: number;
  resources: number;
  problems: VerifyProblem[];
}

export interface GcReport {
  evicted: Array<{ assetRoot: string; reason: EvictReason; bytes: number }>;
  /** Orphan `.part`/temporary files and stale locks deleted. */
  removedFiles: number;
  freedBytes: number;
}

export interface AssetStore {
  /** Absolute cache root; `undefined` for the memory store. */
  readonly root: string | undefined;
  /** Open (load or create) the asset of `url`; marks it used. */
  asset(url: string): Promise<AssetHandle>;
  /** The asset root a URL maps to (after `cacheKey`), without touching storage. */
  assetRootOf(url: string): string;
  list(): Promise<AssetInfo[]>;
  /** Recompute presence from storage and compare with the index. Read-only. */
  verify(): Promise<VerifyReport>;
  /** Apply eviction limits, delete orphan `.part`/temp files and stale locks. */
  gc(): Promise<GcReport>;
  /** Remove one asset (by asset root or asset URL): `Evicted{reason: "Manual"}`. Throws `Busy`
   * while any of its resources is pinned. Returns bytes freed (0 if unknown). */
  remove(assetRootOrUrl: string): Promise<number>;
  /** Rejects pending waiters with `Closed`, closes open readers, releases open writers (their
   * `.part` and range map kept). Idempotent. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Where `asset`-domain events go (STORE-7). */
  bus?: EventBus;
  /** LRU eviction limits by asset root; both off by default (STORE-4). */
  maxBytes?: number;
  maxAssets?: number;
  /** Maps a URL to the URL used for identity (STORE-1 [+]); default sorts query params. */
  cacheKey?: (url: URL) => URL | string;
  /** Wall clock in epoch ms for `lastUsed` (tests inject it). */
  now?: () => number;
  /** Automatic checkpoint interval in bytes written (default 8 MiB). */
  checkpointBytes?: number;
}

export interface DiskStoreOptions extends StoreOptions {
  /** Default: `$XDG_CACHE_HOME/plectrum`, else `~/.cache/plectrum`. */
  root?: string;
}
