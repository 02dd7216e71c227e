/** STORE-4 eviction plan: least-recently-used asset roots first, pinned ones never. */
import type { EvictReason } from "../events/domains/asset.js";

export interface EvictCandidate {
  assetRoot: string;
  bytes: number;
  lastUsed: number;
  pinned: boolean;
}

export interface EvictLimits {
  maxBytes?: number | undefined;
  maxAssets?: number | undefined;
}

export interface Eviction {
  assetRoot: string;
  reason: EvictReason;
  bytes: number;
}

/** Which assets to evict, in order, so that totals fall within `limits` (as far as pins allow). */
export function planEviction(assets: readonly EvictCandidate[], limits: EvictLimits): Eviction[] {
  const { maxBytes, maxAssets } = limits;
  if (maxBytes === undefined && maxAssets === undefined) return [];
  let bytes = assets.reduce((n, a) => n + a.bytes, 0);
  let count = assets.length;
  const out: Eviction[] = [];
  const order = [...assets].sort(
    (a, b) => a.lastUsed - b.lastUsed || a.assetRoot.localeCompare(b.assetRoot),
  );
  for (const a of order) {
    const overCount = maxAssets !== undefined && count > maxAssets;
    const overBytes = maxBytes !== undefined && bytes > maxBytes;
    if (!overCount && !overBytes) break;
    if (a.pinned) continue;
    out.push({
      assetRoot: a.assetRoot,
      reason: overCount ? "MaxAssets" : "MaxBytes",
      bytes: a.bytes,
    });
    bytes -= a.bytes;
    count -= 1;
  }
  return out;
}
