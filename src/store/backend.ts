/**
 * The storage seam under `StoreCore`: the disk backend (files, journal, lock files) and the
 * memory backend implement it, so both stores share every rule above the bytes (STORE-6).
 */
import type { Validator, VerifyReport } from "./types.js";

/** A resource's persisted state: one index record (STORE-3). */
export interface PersistedResource {
  key: string;
  url: string;
  state: "partial" | "committed";
  total?: number | undefined;
  /** Present ranges (committed: `[[0, total]]`). */
  ranges: Array<[number, number]>;
  validator?: Validator | undefined;
}

export interface LoadedAsset {
  resources: Map<string, PersistedResource>;
  /** Set when the index was damaged and rebuilt from a scan (STORE-5). */
  rebuilt?: string | undefined;
}

/** Bytes of a `.part` (read/write) or committed file (read only). */
export interface BytesFile {
  write(offset: number, bytes: Uint8Array): Promise<void>;
  /** `chunks` written back to back from `offset` (one positional writev on disk). */
  writev(offset: number, chunks: readonly Uint8Array[]): Promise<void>;
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Cut (or extend with zeros) to `length` bytes. */
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface BackendAsset {
  assetRoot: string;
  url: string | undefined;
  bytes: number;
  committed: number;
  partial: number;
  lastUsed: number;
  /** Some resource is claimed by a live process. */
  locked: boolean;
}

export interface Backend {
  readonly root: string | undefined;
  loadAsset(assetRoot: string, url: string): Promise<LoadedAsset>;
  /** Absolute canonical file path of a resource; `undefined` when not on disk. */
  pathOf(assetRoot: string, key: string): string | undefined;
  /** A resource the index does not know but storage has (committed file whose index record
   * was lost in a crash: nothing committed is lost, STORE-5). */
  probe(assetRoot: string, key: string, url: string): Promise<PersistedResource | undefined>;
  /** Latest persisted state of one resource (another process may have advanced it). */
  reloadResource(assetRoot: string, key: string): Promise<PersistedResource | undefined>;
  /** Persist a resource's state; `undefined` = the resource is gone. */
  record(assetRoot: string, key: string, state: PersistedResource | undefined): Promise<void>;
  /** Exclusive claim across processes; a token, or `undefined` when a live owner holds it. */
  lock(assetRoot: string, key: string): Promise<string | undefined>;
  unlock(assetRoot: string, key: string, token: string): Promise<void>;
  /** A live lock exists (any process, any store instance). */
  isLocked(assetRoot: string, key: string): boolean;
  /** The `.part`: kept as is when `keep`, else emptied. */
  openPart(assetRoot: string, key: string, keep: boolean): Promise<BytesFile>;
  /** fsync, rename `.part` -> canonical, directory fsync. Closes `part`. */
  commitPart(assetRoot: string, key: string, part: BytesFile): Promise<void>;
  deletePart(assetRoot: string, key: string): Promise<void>;
  openRead(assetRoot: string, key: string, committed: boolean): Promise<BytesFile>;
  /** Delete the committed file and `.part` of one resource. */
  removeResource(assetRoot: string, key: string): Promise<void>;
  /** Delete a whole asset; bytes freed. */
  removeAsset(assetRoot: string): Promise<number>;
  touch(assetRoot: string, epochMs: number): Promise<void>;
  describeAsset(assetRoot: string): Promise<BackendAsset | undefined>;
  listAssets(): Promise<BackendAsset[]>;
  verify(): Promise<VerifyReport>;
  /** Delete orphan `.part`s (no record, no live lock, not `active`), stale locks, temp files. */
  collectGarbage(
    active: (assetRoot: string, key: string) => boolean,
  ): Promise<{ removedFiles: number; freedBytes: number }>;
  close(): Promise<void>;
}
