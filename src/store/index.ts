export { DiskStore } from "./disk-store.js";
export * from "./errors.js";
export {
  assetRootOf,
  canonicalUrl,
  defaultCacheKey,
  defaultCacheRoot,
  resourcePath,
} from "./layout.js";
export { MemoryStore } from "./memory-store.js";
export type * from "./types.js";
