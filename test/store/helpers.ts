import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBus } from "../../src/events/bus.js";
import type { AssetEvent } from "../../src/events/domains/asset.js";
import { DiskStore } from "../../src/store/disk-store.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import type { AssetStore, StoreOptions } from "../../src/store/types.js";

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "plectrum-store-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Records every asset event published on a fresh bus. */
export function recordingBus(): { bus: EventBus; events: AssetEvent[] } {
  const bus = EventBus.root();
  const events: AssetEvent[] = [];
  bus.subscribe((env) => {
    if (env.event.domain === "asset") events.push(env.event);
  });
  return { bus, events };
}

export interface StoreKind {
  name: "disk" | "memory";
  /** A store; for disk, `dir` is reused so a second call is a "restart". */
  make(dir: string, options?: StoreOptions): Promise<AssetStore>;
}

export const KINDS: StoreKind[] = [
  { name: "disk", make: (dir, options) => DiskStore.open({ ...options, root: dir }) },
  { name: "memory", make: async (_dir, options) => new MemoryStore(options) },
];

export function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}
