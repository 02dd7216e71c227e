/** Bytes and index in memory (STORE-6): no persistence, claims exclusive within the process. */
import type {
  Backend,
  BackendAsset,
  BytesFile,
  LoadedAsset,
  PersistedResource,
} from "./backend.js";
import { StoreError } from "./errors.js";
import type { VerifyReport } from "./types.js";

/** Largest resource the memory store holds: a hostile offset must not eat unbounded memory. */
export const MAX_MEMORY_RESOURCE = 1024 * 1024 * 1024;

/** A growable byte buffer standing in for a file. */
class MemFile implements BytesFile {
  data = new Uint8Array(0);
  length = 0;

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    const end = offset + bytes.byteLength;
    if (end > MAX_MEMORY_RESOURCE)
      throw new StoreError(
        "Io",
        `memory store resources are limited to ${MAX_MEMORY_RESOURCE} bytes`,
      );
    if (end > this.data.byteLength) {
      const grown = new Uint8Array(
        Math.min(MAX_MEMORY_RESOURCE, Math.max(end, this.data.byteLength * 2)),
      );
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(bytes, offset);
    this.length = Math.max(this.length, end);
  }

  async writev(offset: number, chunks: readonly Uint8Array[]): Promise<void> {
    let at = offset;
    for (const c of chunks) {
      await this.write(at, c);
      at += c.byteLength;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(offset + length, this.length);
    return this.data.slice(offset, Math.max(offset, end));
  }

  async truncate(length: number): Promise<void> {
    if (length > this.length) await this.write(this.length, new Uint8Array(length - this.length));
    else this.length = length;
  }

  async sync(): Promise<void> {}
  async close(): Promise<void> {}
}

interface MemResource {
  part?: MemFile | undefined;
  committed?: MemFile | undefined;
  record?: PersistedResource | undefined;
  lock?: string | undefined;
}

interface MemAsset {
  url: string;
  lastUsed: number;
  resources: Map<string, MemResource>;
}

export class MemoryBackend implements Backend {
  readonly root = undefined;
  readonly #assets = new Map<string, MemAsset>();
  #nextToken = 1;

  #asset(assetRoot: string): MemAsset {
    let a = this.#assets.get(assetRoot);
    if (a === undefined) {
      a = { url: "", lastUsed: 0, resources: new Map() };
      this.#assets.set(assetRoot, a);
    }
    return a;
  }

  #res(assetRoot: string, key: string): MemResource {
    const a = this.#asset(assetRoot);
    let r = a.resources.get(key);
    if (r === undefined) {
      r = {};
      a.resources.set(key, r);
    }
    return r;
  }

  async loadAsset(assetRoot: string, url: string): Promise<LoadedAsset> {
    const a = this.#asset(assetRoot);
    if (a.url === "") a.url = url;
    const resources = new Map<string, PersistedResource>();
    for (const [k, r] of a.resources) if (r.record !== undefined) resources.set(k, r.record);
    return { resources };
  }

  pathOf(): undefined {
    return undefined;
  }

  async probe(assetRoot: string, key: string): Promise<PersistedResource | undefined> {
    return this.#assets.get(assetRoot)?.resources.get(key)?.record;
  }

  async reloadResource(assetRoot: string, key: string): Promise<PersistedResource | undefined> {
    return this.probe(assetRoot, key);
  }

  async record(
    assetRoot: string,
    key: string,
    state: PersistedResource | undefined,
  ): Promise<void> {
    this.#res(assetRoot, key).record = state;
  }

  async lock(assetRoot: string, key: string): Promise<string | undefined> {
    const r = this.#res(assetRoot, key);
    if (r.lock !== undefined) return undefined;
    r.lock = String(this.#nextToken++);
    return r.lock;
  }

  async unlock(assetRoot: string, key: string, token: string): Promise<void> {
    const r = this.#assets.get(assetRoot)?.resources.get(key);
    if (r?.lock === token) r.lock = undefined;
  }

  isLocked(assetRoot: string, key: string): boolean {
    return this.#assets.get(assetRoot)?.resources.get(key)?.lock !== undefined;
  }

  async openPart(assetRoot: string, key: string, keep: boolean): Promise<BytesFile> {
    const r = this.#res(assetRoot, key);
    if (!keep || r.part === undefined) r.part = new MemFile();
    return r.part;
  }

  async commitPart(assetRoot: string, key: string): Promise<void> {
    const r = this.#res(assetRoot, key);
    r.committed = r.part;
    r.part = undefined;
  }

  async deletePart(assetRoot: string, key: string): Promise<void> {
    const r = this.#assets.get(assetRoot)?.resources.get(key);
    if (r !== undefined) r.part = undefined;
  }

  async openRead(assetRoot: string, key: string, committed: boolean): Promise<BytesFile> {
    const r = this.#res(assetRoot, key);
    return (committed ? r.committed : r.part) ?? r.committed ?? r.part ?? new MemFile();
  }

  async removeResource(assetRoot: string, key: string): Promise<void> {
    const r = this.#assets.get(assetRoot)?.resources.get(key);
    if (r === undefined) return;
    r.part = undefined;
    r.committed = undefined;
  }

  async removeAsset(assetRoot: string): Promise<number> {
    const a = this.#assets.get(assetRoot);
    this.#assets.delete(assetRoot);
    return a === undefined ? 0 : usage(a).bytes;
  }

  async touch(assetRoot: string, epochMs: number): Promise<void> {
    this.#asset(assetRoot).lastUsed = epochMs;
  }

  async describeAsset(assetRoot: string): Promise<BackendAsset | undefined> {
    const a = this.#assets.get(assetRoot);
    if (a === undefined) return undefined;
    return { assetRoot, url: a.url, ...usage(a), lastUsed: a.lastUsed, locked: false };
  }

  async listAssets(): Promise<BackendAsset[]> {
    const out: BackendAsset[] = [];
    for (const root of this.#assets.keys()) {
      const a = await this.describeAsset(root);
      if (a !== undefined) out.push(a);
    }
    return out;
  }

  async verify(): Promise<VerifyReport> {
    let resources = 0;
    for (const a of this.#assets.values()) resources += a.resources.size;
    return { assets: this.#assets.size, resources, problems: [] };
  }

  async collectGarbage(
    active: (assetRoot: string, key: string) => boolean,
  ): Promise<{ removedFiles: number; freedBytes: number }> {
    let removedFiles = 0;
    let freedBytes = 0;
    for (const [root, a] of this.#assets)
      for (const [key, r] of a.resources)
        if (r.part !== undefined && r.record === undefined && !active(root, key)) {
          freedBytes += r.part.length;
          removedFiles++;
          r.part = undefined;
        }
    return { removedFiles, freedBytes };
  }

  async close(): Promise<void> {}
}

function usage(a: MemAsset): { bytes: number; committed: number; partial: number } {
  let bytes = 0;
  let committed = 0;
  let partial = 0;
  for (const r of a.resources.values()) {
    if (r.committed !== undefined) {
      committed++;
      bytes += r.committed.length;
    }
    if (r.part !== undefined) {
      partial++;
      bytes += r.part.length;
    }
  }
  return { bytes, committed, partial };
}
