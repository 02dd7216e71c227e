/** Why something was evicted (STORE-4). */
export type EvictReason = "MaxBytes" | "MaxAssets" | "Manual";

interface A {
  domain: "asset";
}

/** Asset-store events (STORE-7). */
export type AssetEvent =
  | (A & { type: "Committed"; assetRoot: string; resource: string; bytes: number })
  | (A & { type: "Evicted"; assetRoot: string; reason: EvictReason; bytes: number })
  | (A & { type: "IndexRebuilt"; assetRoot: string; resources: number; reason: string })
  | (A & { type: "PartialResumed"; assetRoot: string; resource: string; bytes: number });
