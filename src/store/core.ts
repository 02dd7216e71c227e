/**
 * Everything above the bytes, shared by the disk and memory stores (STORE-6): asset loading,
 * the per-process resource table, pins, eviction (STORE-4), events (STORE-7), list/verify/gc/
 * remove, close. Storage specifics live behind `Backend`.
 */
import type { EventBus } from "../events/bus.js";
import type { AssetEvent, EvictReason } from "../events/domains/asset.js";
import { AssetImpl } from "./asset.js";
import type { Backend } from "./backend.js";
import { StoreError } from "./errors.js";
import { type EvictCandidate, planEviction } from "./evict.js";
import { assetRootOf, type CacheKeyFn, canonicalUrl, defaultCacheKey } from "./layout.js";
import { ResourceImpl } from "./resource.js";
import type {
  AssetInfo,
  AssetStore,
  GcReport,
  ResourceReader,
  StoreOptions,
  VerifyReport,
} from "./types.js";

const DEFAULT_CHECKPOINT_BYTES = 8 * 1024 * 1024;
const ASSET_ROOT = /^[0-9a-f]{32}$/;

interface Usage {
  bytes: number;
  lastUsed: number;
  locked: boolean;
}

export class StoreCore implements AssetStore {
  readonly backend: Backend;
  readonly checkpointBytes: number;
  readonly cacheKey: CacheKeyFn;
  readonly #bus: EventBus | undefined;
  readonly #maxBytes: number | undefined;
  readonly #maxAssets: number | undefined;
  readonly #now: () => number;
  readonly #assets = new Map<string, AssetImpl>();
  readonly #loading = new Map<string, Promise<AssetImpl>>();
  /** Usage of assets not loaded in this process, from the last storage scan. */
  #usage: Map<string, Usage> | undefined;
  readonly #lastUsed = new Map<string, number>();
  #closed = false;
  /** Open readers, closed with the store (their fds must not outlive it, CORE-4). */
  readonly readers = new Set<ResourceReader>();

  constructor(backend: Backend, options: StoreOptions = {}) {
    this.backend = backend;
    this.checkpointBytes = options.checkpointBytes ?? DEFAULT_CHECKPOINT_BYTES;
    this.cacheKey = options.cacheKey ?? defaultCacheKey;
    this.#bus = options.bus;
    this.#maxBytes = options.maxBytes;
    this.#maxAssets = options.maxAssets;
    this.#now = options.now ?? Date.now;
  }

  get root(): string | undefined {
    return this.backend.root;
  }

  get closed(): boolean {
    return this.#closed;
  }

  assertOpen(): void {
    if (this.#closed) throw new StoreError("Closed", "store is closed");
  }

  assetRootOf(url: string): string {
    return assetRootOf(canonicalUrl(url, this.cacheKey));
  }

  async asset(url: string): Promise<AssetImpl> {
    this.assertOpen();
    const canonical = canonicalUrl(url, this.cacheKey);
    const root = assetRootOf(canonical);
    const known = this.#assets.get(root);
    let p: Promise<AssetImpl>;
    if (known !== undefined) p = Promise.resolve(known);
    else {
      p = this.#loading.get(root) ?? this.#load(root, canonical.href);
      this.#loading.set(root, p);
    }
    const a = await p;
    this.touchAsset(root);
    await this.backend.touch(root, this.#now());
    return a;
  }

  async #load(root: string, url: string): Promise<AssetImpl> {
    try {
      const loaded = await this.backend.loadAsset(root, url);
      const a = new AssetImpl(this, root, url, this.backend.pathOf(root, ""));
      for (const rec of loaded.resources.values()) {
        const r = new ResourceImpl(this, root, rec.key, rec.url);
        r.apply(rec);
        a.entries.set(rec.key, r);
      }
      this.#assets.set(root, a);
      this.#usage?.delete(root);
      if (loaded.rebuilt !== undefined)
        this.#publish({
          domain: "asset",
          type: "IndexRebuilt",
          assetRoot: root,
          resources: loaded.resources.size,
          reason: loaded.rebuilt,
        });
      return a;
    } finally {
      this.#loading.delete(root);
    }
  }

  touchAsset(assetRoot: string): void {
    this.#lastUsed.set(assetRoot, this.#now());
  }

  #publish(e: AssetEvent): void {
    this.#bus?.publish(e);
  }

  /** A claim found bytes from an earlier writer (STORE-3 [+]). */
  resumed(r: ResourceImpl): void {
    this.#publish({
      domain: "asset",
      type: "PartialResumed",
      assetRoot: r.assetRoot,
      resource: r.key,
      bytes: r.presentBytes(),
    });
  }

  /** After a commit: event, last use, eviction (STORE-4 [+], STORE-7). */
  async committed(r: ResourceImpl): Promise<void> {
    this.#publish({
      domain: "asset",
      type: "Committed",
      assetRoot: r.assetRoot,
      resource: r.key,
      bytes: r.finalLength() ?? 0,
    });
    this.touchAsset(r.assetRoot);
    await this.backend.touch(r.assetRoot, this.#now());
    await this.enforceLimits(r.assetRoot);
  }

  get #limited(): boolean {
    return this.#maxBytes !== undefined || this.#maxAssets !== undefined;
  }

  /** Evict least-recently-used unpinned assets until within limits; `keep` (the asset that
   * just committed) counts as pinned. */
  async enforceLimits(keep?: string): Promise<GcReport["evicted"]> {
    if (!this.#limited || this.#closed) return [];
    if (this.#usage === undefined) {
      const usage = new Map<string, Usage>();
      for (const a of await this.backend.listAssets())
        if (!this.#assets.has(a.assetRoot))
          usage.set(a.assetRoot, { bytes: a.bytes, lastUsed: a.lastUsed, locked: a.locked });
      this.#usage = usage;
    }
    const candidates: EvictCandidate[] = [];
    for (const [assetRoot, u] of this.#usage)
      candidates.push({
        assetRoot,
        bytes: u.bytes,
        lastUsed: this.#lastUsed.get(assetRoot) ?? u.lastUsed,
        pinned: u.locked,
      });
    for (const a of this.#assets.values())
      candidates.push({
        assetRoot: a.assetRoot,
        bytes: a.bytes,
        lastUsed: this.#lastUsed.get(a.assetRoot) ?? 0,
        pinned: a.pinned || a.assetRoot === keep,
      });
    const plan = planEviction(candidates, { maxBytes: this.#maxBytes, maxAssets: this.#maxAssets });
    const done: GcReport["evicted"] = [];
    for (const e of plan) {
      const bytes = await this.#evict(e.assetRoot, e.reason);
      if (bytes !== undefined) done.push({ ...e, bytes });
    }
    return done;
  }

  /** Remove an asset; `undefined` (nothing done) while another process writes into it. */
  async #evict(assetRoot: string, reason: EvictReason): Promise<number | undefined> {
    const a = this.#assets.get(assetRoot);
    if (a?.pinned) throw new StoreError("Busy", `asset ${assetRoot} is pinned`);
    if ((await this.backend.describeAsset(assetRoot))?.locked) return undefined;
    const bytes = await this.backend.removeAsset(assetRoot);
    this.#assets.delete(assetRoot);
    this.#usage?.delete(assetRoot);
    this.#lastUsed.delete(assetRoot);
    for (const r of a?.entries.values() ?? []) r.clear();
    this.#publish({ domain: "asset", type: "Evicted", assetRoot, reason, bytes });
    return bytes;
  }

  async list(): Promise<AssetInfo[]> {
    const out: AssetInfo[] = [];
    for (const b of await this.backend.listAssets()) {
      const a = this.#assets.get(b.assetRoot);
      out.push({
        assetRoot: b.assetRoot,
        url: b.url,
        bytes: b.bytes,
        committed: b.committed,
        partial: b.partial,
        lastUsed: this.#lastUsed.get(b.assetRoot) ?? b.lastUsed,
        pinned: b.locked || (a?.pinned ?? false),
      });
    }
    return out.sort((x, y) => y.lastUsed - x.lastUsed);
  }

  verify(): Promise<VerifyReport> {
    return this.backend.verify();
  }

  async gc(): Promise<GcReport> {
    this.assertOpen();
    this.#usage = undefined; // rescan: other processes may have changed storage
    const evicted = await this.enforceLimits();
    const files = await this.backend.collectGarbage(
      (root, key) => this.#assets.get(root)?.entries.get(key)?.writer !== undefined,
    );
    return { evicted, ...files };
  }

  async remove(assetRootOrUrl: string): Promise<number> {
    this.assertOpen();
    const root = ASSET_ROOT.test(assetRootOrUrl)
      ? assetRootOrUrl
      : this.assetRootOf(assetRootOrUrl);
    if ((await this.backend.describeAsset(root)) === undefined && !this.#assets.has(root)) return 0;
    const bytes = await this.#evict(root, "Manual");
    if (bytes === undefined) throw new StoreError("Busy", `asset ${root} is being written`);
    return bytes;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new StoreError("Closed", "store is closed");
    const writers: Array<Promise<void>> = [];
    for (const a of this.#assets.values())
      for (const r of a.entries.values()) {
        r.rejectWaiters(closed);
        if (r.writer !== undefined) writers.push(r.writer.release());
      }
    await Promise.allSettled(writers);
    await Promise.allSettled([...this.readers].map((r) => r.close()));
    await this.backend.close();
  }
}
