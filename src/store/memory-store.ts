/** The in-memory asset store (STORE-6): same interface and rules, nothing persisted. */
import { StoreCore } from "./core.js";
import { MemoryBackend } from "./memory-backend.js";
import type { StoreOptions } from "./types.js";

export class MemoryStore extends StoreCore {
  constructor(options: StoreOptions = {}) {
    super(new MemoryBackend(), options);
  }
}
