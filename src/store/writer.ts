/**
 * The single writer of a resource (STORE-2): claim (in-process + lock file), writes into the
 * `.part`, checkpoints of the range map (STORE-3 [+]), commit by fsync + rename + dir fsync.
 */
import type { BytesFile, PersistedResource } from "./backend.js";
import { StoreError } from "./errors.js";
import type { ResourceImpl } from "./resource.js";
import type { Pin, ResourceWriter, Validator } from "./types.js";
import { WriteQueue } from "./write-queue.js";

export class WriterImpl implements ResourceWriter {
  readonly resource: ResourceImpl;
  readonly #part: BytesFile;
  readonly #token: string;
  readonly #pin: Pin;
  #closed = false;
  #sinceCheckpoint = 0;
  #checkpointing: Promise<void> | undefined;
  /** A background checkpoint's error, reported by the next write/checkpoint/commit. */
  #failure: unknown;
  readonly #queue: WriteQueue;

  private constructor(r: ResourceImpl, part: BytesFile, token: string) {
    this.resource = r;
    this.#part = part;
    this.#token = token;
    this.#pin = r.pin();
    this.#queue = new WriteQueue(part, (start, end) => this.#landed(start, end));
  }

  /** Take the claim, or `undefined` when a live owner holds it. */
  static async claim(r: ResourceImpl): Promise<WriterImpl | undefined> {
    const core = r.core;
    core.assertOpen();
    if (r.writer !== undefined) return undefined;
    if (r.state() === "committed")
      throw new StoreError("Busy", `resource ${r.key} is committed; remove() it to rewrite it`);
    const token = await core.backend.lock(r.assetRoot, r.key);
    if (token === undefined) return undefined;
    if (r.writer !== undefined || core.closed) {
      await core.backend.unlock(r.assetRoot, r.key, token);
      return undefined;
    }
    try {
      // Another process may have advanced (or committed) it while we did not hold the claim.
      const rec = await core.backend.reloadResource(r.assetRoot, r.key);
      if (rec !== undefined || r.state() !== "absent") r.apply(rec);
      if (r.state() === "committed") {
        await core.backend.unlock(r.assetRoot, r.key, token);
        return undefined;
      }
      const keep = r.presentBytes() > 0;
      const part = await core.backend.openPart(r.assetRoot, r.key, keep);
      if (!keep && r.state() !== "absent") r.apply(undefined);
      const w = new WriterImpl(r, part, token);
      r.writer = w;
      if (keep) core.resumed(r);
      return w;
    } catch (err) {
      await core.backend.unlock(r.assetRoot, r.key, token);
      throw err;
    }
  }

  /** Atomic whole-resource replacement: readers see the old bytes or the new, never a mix. */
  static async putWhole(r: ResourceImpl, bytes: Uint8Array, validator?: Validator): Promise<void> {
    const core = r.core;
    core.assertOpen();
    if (r.writer !== undefined) throw new StoreError("Busy", `resource ${r.key} is being written`);
    const token = await core.backend.lock(r.assetRoot, r.key);
    if (token === undefined) throw new StoreError("Busy", `resource ${r.key} is claimed elsewhere`);
    const pin = r.pin();
    try {
      // Leftover partial bytes are superseded; a fresh inode keeps open readers consistent.
      if (r.state() === "partial") r.clear();
      await core.backend.deletePart(r.assetRoot, r.key);
      const part = await core.backend.openPart(r.assetRoot, r.key, false);
      try {
        if (bytes.byteLength > 0) await part.write(0, bytes);
      } catch (err) {
        await part.close();
        await core.backend.deletePart(r.assetRoot, r.key);
        throw err;
      }
      await core.backend.commitPart(r.assetRoot, r.key, part);
      const n = bytes.byteLength;
      const rec: PersistedResource = {
        key: r.key,
        url: r.url,
        state: "committed",
        total: n,
        ranges: n > 0 ? [[0, n]] : [],
        validator,
      };
      await core.backend.record(r.assetRoot, r.key, rec);
      r.apply(rec);
      r.markCommitted();
      await core.committed(r);
    } finally {
      pin.release();
      await core.backend.unlock(r.assetRoot, r.key, token);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError("Closed", `writer of ${this.resource.key} is closed`);
  }

  append(offset: number, bytes: Uint8Array, handOver = false): Promise<void> | undefined {
    this.#assertOpen();
    this.#throwFailure();
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new StoreError("LengthMismatch", `invalid write offset ${offset}`);
    const end = offset + bytes.byteLength;
    const total = this.resource.finalLength();
    if (total !== undefined && end > total)
      throw new StoreError("LengthMismatch", `write [${offset}, ${end}) past length ${total}`);
    return this.#queue.append(offset, bytes, handOver);
  }

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    await this.append(offset, bytes);
    await this.#queue.flush();
  }

  flush(): Promise<void> {
    return this.#queue.flush();
  }

  /** A batch is on disk: only now does its range enter the index (STORE-3). */
  #landed(start: number, end: number): void {
    if (this.#closed) return;
    this.resource.addRange(start, end);
    this.#sinceCheckpoint += end - start;
    // Automatic checkpoints run beside the writes (the datasync must not stall the download);
    // a failure surfaces on the next write or at commit/release.
    if (this.#sinceCheckpoint >= this.resource.core.checkpointBytes && !this.#checkpointing)
      void this.#startCheckpoint().catch(() => {});
  }

  setLength(total: number): void {
    this.#assertOpen();
    if (!Number.isSafeInteger(total) || total < 0)
      throw new StoreError("LengthMismatch", `invalid length ${total}`);
    const known = this.resource.finalLength();
    if (known !== undefined && known !== total)
      throw new StoreError("LengthMismatch", `length ${total} contradicts known length ${known}`);
    const ranges = this.resource.availableRanges();
    const maxEnd = ranges.length > 0 ? (ranges[ranges.length - 1]?.[1] ?? 0) : 0;
    if (maxEnd > total)
      throw new StoreError("LengthMismatch", `length ${total} but bytes exist up to ${maxEnd}`);
    this.resource.setTotal(total);
  }

  setValidator(validator: Validator): void {
    this.#assertOpen();
    this.resource.setValidator(validator);
  }

  async reset(): Promise<void> {
    this.#assertOpen();
    await this.#drain();
    this.resource.clear();
    this.#sinceCheckpoint = 0;
    await this.#part.truncate(0);
    await this.resource.core.backend.record(this.resource.assetRoot, this.resource.key, undefined);
  }

  async checkpoint(): Promise<void> {
    this.#assertOpen();
    while (this.#checkpointing !== undefined) await this.#checkpointing;
    this.#throwFailure();
    await this.#startCheckpoint();
  }

  #startCheckpoint(): Promise<void> {
    const p = this.#persist().then(
      () => {
        if (this.#checkpointing === p) this.#checkpointing = undefined;
      },
      (err: unknown) => {
        if (this.#checkpointing === p) this.#checkpointing = undefined;
        this.#failure ??= err;
        throw err;
      },
    );
    this.#checkpointing = p;
    return p;
  }

  #throwFailure(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Snapshot first: only ranges whose bytes were written before the sync are recorded. */
  async #persist(): Promise<void> {
    const snap = this.resource.snapshot();
    this.#sinceCheckpoint = 0;
    await this.#part.sync();
    await this.resource.core.backend.record(this.resource.assetRoot, this.resource.key, snap);
  }

  async commit(): Promise<void> {
    this.#assertOpen();
    await this.#drain();
    // After a failed datasync the kernel may have dropped the dirty pages: never commit them.
    this.#throwFailure();
    const r = this.resource;
    const total = r.finalLength();
    if (total === undefined) throw new StoreError("Incomplete", `length of ${r.key} is unknown`);
    const gap = r.firstGap(0, total);
    if (gap !== undefined)
      throw new StoreError("Incomplete", `${r.key} misses bytes [${gap.start}, ${gap.end})`);
    this.#closed = true;
    try {
      // Bytes past the total (an earlier, longer attempt's) must not reach the canonical file.
      await this.#part.truncate(total);
      await r.core.backend.commitPart(r.assetRoot, r.key, this.#part);
      await r.core.backend.record(r.assetRoot, r.key, { ...r.snapshot(), state: "committed" });
      r.markCommitted();
    } finally {
      await this.#finish();
    }
    await r.core.committed(r);
  }

  async release(): Promise<void> {
    if (this.#closed) return;
    await this.#drain();
    // Bytes after a failed datasync cannot be trusted: drop them rather than record them.
    if (this.#failure !== undefined) return this.discard();
    const r = this.resource;
    try {
      if (r.presentBytes() > 0) await this.#persist();
    } finally {
      this.#closed = true;
      await this.#part.close();
      if (r.presentBytes() === 0) {
        await r.core.backend.deletePart(r.assetRoot, r.key);
        await r.core.backend.record(r.assetRoot, r.key, undefined);
      }
      await this.#finish();
    }
  }

  async discard(): Promise<void> {
    if (this.#closed) return;
    await this.#drain();
    this.#closed = true;
    const r = this.resource;
    try {
      await this.#part.close();
      await r.core.backend.deletePart(r.assetRoot, r.key);
      await r.core.backend.record(r.assetRoot, r.key, undefined);
      r.clear();
    } finally {
      await this.#finish();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  /** Every queued byte landed (or failed: that range stays absent) and no checkpoint runs. */
  async #drain(): Promise<void> {
    await this.#queue.flush().catch(() => {});
    while (this.#checkpointing !== undefined) await this.#checkpointing.catch(() => {});
  }

  async #finish(): Promise<void> {
    const r = this.resource;
    if (r.writer === this) r.writer = undefined;
    this.#pin.release();
    await r.core.backend.unlock(r.assetRoot, r.key, this.#token);
  }
}
