/** The on-disk asset store (STORE-1..5, 7). */
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { StoreCore } from "./core.js";
import { DiskBackend } from "./disk-backend.js";
import { StoreError } from "./errors.js";
import { defaultCacheRoot } from "./layout.js";
import type { DiskStoreOptions } from "./types.js";

export class DiskStore extends StoreCore {
  private constructor(root: string, options: DiskStoreOptions) {
    super(new DiskBackend(root), options);
  }

  /** Create the root if needed and apply eviction limits once at start-up (STORE-4 [+]). */
  static async open(options: DiskStoreOptions = {}): Promise<DiskStore> {
    const root = resolve(options.root ?? defaultCacheRoot());
    try {
      await mkdir(root, { recursive: true });
    } catch (cause) {
      throw new StoreError("Io", `cannot create cache root ${root}`, { cause });
    }
    const store = new DiskStore(root, options);
    await store.enforceLimits();
    return store;
  }
}
