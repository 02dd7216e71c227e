/**
 * One resource's in-process state: THE availability index of its bytes (STORE-3), its pins,
 * its claim, its listeners and waiters. `StoreCore` keeps one per resource, so every caller
 * in a process sees the same object.
 */
import { type ByteRange, RangeSet } from "../core/ranges.js";
import type { PersistedResource } from "./backend.js";
import type { StoreCore } from "./core.js";
import { StoreError } from "./errors.js";
import { ReaderImpl } from "./reader.js";
import type {
  Pin,
  ResourceChange,
  ResourceHandle,
  ResourceReader,
  ResourceState,
  ResourceWriter,
  Validator,
} from "./types.js";
import { WriterImpl } from "./writer.js";

interface Waiter {
  start: number;
  end: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class ResourceImpl implements ResourceHandle {
  url: string;
  readonly key: string;
  readonly path: string | undefined;
  readonly assetRoot: string;
  readonly core: StoreCore;
  #ranges = new RangeSet();
  #total: number | undefined;
  #validator: Validator | undefined;
  #committed = false;
  /** Bumped whenever bytes are dropped, so readers reopen the new file. */
  generation = 0;
  #pins = 0;
  writer: WriterImpl | undefined;
  readonly #listeners = new Set<(c: ResourceChange) => void>();
  readonly #waiters = new Set<Waiter>();

  constructor(core: StoreCore, assetRoot: string, key: string, url: string) {
    this.core = core;
    this.assetRoot = assetRoot;
    this.key = key;
    this.url = url;
    this.path = core.backend.pathOf(assetRoot, key);
  }

  // ---- queries (STORE-3) ----
  state(): ResourceState {
    if (this.#committed) return "committed";
    return this.#ranges.size > 0 || this.#total !== undefined ? "partial" : "absent";
  }
  containsRange(start: number, end: number): boolean {
    return this.#ranges.contains(start, end);
  }
  finalLength(): number | undefined {
    return this.#total;
  }
  availableRanges(): Array<[number, number]> {
    return this.#ranges.ranges();
  }
  firstGap(from: number, to?: number): ByteRange | undefined {
    return this.#ranges.firstGap(from, to ?? this.#total);
  }
  presentBytes(): number {
    return this.#ranges.size;
  }
  validator(): Validator | undefined {
    return this.#validator === undefined ? undefined : { ...this.#validator };
  }
  isClaimed(): boolean {
    return this.writer !== undefined || this.core.backend.isLocked(this.assetRoot, this.key);
  }
  get pinned(): boolean {
    return this.#pins > 0;
  }

  async refresh(): Promise<void> {
    this.core.assertOpen();
    if (this.writer !== undefined) return;
    const rec = await this.core.backend.reloadResource(this.assetRoot, this.key);
    if (this.writer !== undefined) return;
    const before = this.#ranges;
    const wasCommitted = this.#committed;
    const rebased =
      rec !== undefined &&
      before.ranges().every(([a, b]) => RangeSet.from(rec.ranges).contains(a, b)) &&
      (this.#total === undefined || this.#total === rec.total);
    if (!rebased) {
      this.apply(rec);
      if (before.size > 0 || wasCommitted) this.#emit({ kind: "cleared" });
      return;
    }
    // Growth only: report the new ranges, length and commit like a local writer would.
    if (rec.total !== undefined) this.setTotal(rec.total);
    this.#validator = rec.validator;
    for (const [a, b] of rec.ranges) if (!before.contains(a, b)) this.addRange(a, b);
    if (rec.state === "committed" && !wasCommitted) this.markCommitted();
  }

  onChange(listener: (change: ResourceChange) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  waitRange(start: number, end: number, signal?: AbortSignal): Promise<void> {
    if (this.#satisfied(start, end)) return Promise.resolve();
    if (this.core.closed) return Promise.reject(new StoreError("Closed", "store is closed"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.delete(w);
        reject(signal?.reason);
      };
      const w: Waiter = {
        start,
        end,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (err) => {
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      this.#waiters.add(w);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #satisfied(start: number, end: number): boolean {
    const e = this.#total === undefined ? end : Math.min(end, this.#total);
    return this.#ranges.contains(start, e);
  }

  /** Listener/waiter count, for leak tests (CORE-4). */
  get waiterCount(): number {
    return this.#waiters.size + this.#listeners.size;
  }

  // ---- claim, reads, writes ----
  async tryClaim(): Promise<ResourceWriter | undefined> {
    return WriterImpl.claim(this);
  }

  async putWhole(bytes: Uint8Array, validator?: Validator): Promise<void> {
    await WriterImpl.putWhole(this, bytes, validator);
  }

  async readWhole(): Promise<Uint8Array> {
    if (!this.#committed || this.#total === undefined)
      throw new StoreError("NotAvailable", `resource ${this.key} is not committed`);
    return this.read(0, this.#total);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const r = new ReaderImpl(this);
    try {
      return await r.read(offset, length);
    } finally {
      await r.close();
    }
  }

  async openReader(): Promise<ResourceReader> {
    return new ReaderImpl(this);
  }

  pin(): Pin {
    this.#pins++;
    this.core.touchAsset(this.assetRoot);
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      this.#pins--;
    };
    return { release, [Symbol.dispose]: release };
  }

  async remove(): Promise<void> {
    if (this.#pins > 0 || this.isClaimed())
      throw new StoreError("Busy", `resource ${this.key} is pinned or being written`);
    await this.core.backend.removeResource(this.assetRoot, this.key);
    await this.core.backend.record(this.assetRoot, this.key, undefined);
    this.clear();
  }

  // ---- state changes (writer, loader, core) ----
  snapshot(): PersistedResource {
    return {
      key: this.key,
      url: this.url,
      state: this.#committed ? "committed" : "partial",
      total: this.#total,
      ranges: this.#ranges.ranges(),
      validator: this.#validator,
    };
  }

  /** Replace the state with a persisted record (load or reload). */
  apply(rec: PersistedResource | undefined): void {
    const hadBytes = this.#ranges.size > 0 || this.#committed;
    this.#ranges = RangeSet.from(rec?.ranges ?? []);
    this.#total = rec?.total;
    this.#validator = rec?.validator;
    this.#committed = rec?.state === "committed";
    if (hadBytes) this.generation++;
    this.#settle();
  }

  addRange(start: number, end: number): void {
    this.#ranges.add(start, end);
    this.#emit({ kind: "ranges", start, end });
  }

  setTotal(total: number): void {
    if (this.#total === total) return;
    this.#total = total;
    this.#emit({ kind: "length", total });
  }

  setValidator(v: Validator | undefined): void {
    this.#validator = v === undefined ? undefined : { ...v };
  }

  markCommitted(): void {
    this.#committed = true;
    this.#emit({ kind: "committed", total: this.#total ?? 0 });
  }

  clear(): void {
    this.#ranges = new RangeSet();
    this.#total = undefined;
    this.#validator = undefined;
    this.#committed = false;
    this.generation++;
    this.#emit({ kind: "cleared" });
  }

  rejectWaiters(err: unknown): void {
    const ws = [...this.#waiters];
    this.#waiters.clear();
    for (const w of ws) w.reject(err);
  }

  #emit(change: ResourceChange): void {
    for (const fn of [...this.#listeners]) {
      try {
        fn(change);
      } catch {
        // a listener's failure is its own; the index stays consistent
      }
    }
    this.#settle();
  }

  #settle(): void {
    for (const w of [...this.#waiters]) {
      if (this.#satisfied(w.start, w.end)) {
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }
}
