/** One loaded asset: its resources by key (one `ResourceImpl` each per process). */
import type { StoreCore } from "./core.js";
import { canonicalUrl, resourcePath } from "./layout.js";
import { ResourceImpl } from "./resource.js";
import type { AssetHandle, ResourceOptions } from "./types.js";

export class AssetImpl implements AssetHandle {
  readonly url: string;
  readonly assetRoot: string;
  readonly dir: string | undefined;
  readonly #core: StoreCore;
  readonly entries = new Map<string, ResourceImpl>();
  readonly #pending = new Map<string, Promise<ResourceImpl>>();

  constructor(core: StoreCore, assetRoot: string, url: string, dir: string | undefined) {
    this.#core = core;
    this.assetRoot = assetRoot;
    this.url = url;
    this.dir = dir;
  }

  async resource(url: string, options: ResourceOptions = {}): Promise<ResourceImpl> {
    this.#core.assertOpen();
    const canonical = canonicalUrl(url, this.#core.cacheKey);
    const key = resourcePath(canonical, options);
    const known = this.entries.get(key);
    if (known !== undefined) {
      if (known.url === "") known.url = canonical.href; // adopted from a scan: URL unknown until now
      return known;
    }
    let p = this.#pending.get(key);
    if (p === undefined) {
      p = this.#create(key, canonical.href);
      this.#pending.set(key, p);
    }
    return p;
  }

  async #create(key: string, url: string): Promise<ResourceImpl> {
    try {
      const r = new ResourceImpl(this.#core, this.assetRoot, key, url);
      const found = await this.#core.backend.probe(this.assetRoot, key, url);
      if (found !== undefined) r.apply(found);
      this.entries.set(key, r);
      return r;
    } finally {
      this.#pending.delete(key);
    }
  }

  resources(): ResourceImpl[] {
    return [...this.entries.values()];
  }

  get pinned(): boolean {
    for (const r of this.entries.values()) if (r.pinned || r.writer !== undefined) return true;
    return false;
  }

  get bytes(): number {
    let n = 0;
    for (const r of this.entries.values()) n += r.presentBytes();
    return n;
  }
}
