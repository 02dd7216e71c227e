/**
 * The slices of the Downloader, its peer handle and the ABR controller the HLS peer uses,
 * as structural types: `Downloader`, `PeerHandle` and `AbrController` satisfy them.
 */
import type { CancelToken } from "../core/cancel.js";
import type { Peer } from "../dl/types.js";
import type { EventBus } from "../events/bus.js";
import type { AbrMode, SwitchReason } from "../events/domains/abr.js";
import type { Executor } from "./loader.js";

export interface HlsPeerHandle extends Executor {
  readonly peerId: number;
  readonly token: CancelToken;
  wake(): void;
  dispose(): void;
}

export interface HlsDownloader {
  readonly bus: EventBus;
  register(peer: Peer, options?: { bus?: EventBus }): HlsPeerHandle;
}

export interface HlsAbrClaim {
  ticket: number;
  from: number;
  to: number;
  reason: SwitchReason;
}

/** ABR-6/7 as the peer drives it (`AbrPeerControl`). */
export interface HlsAbrControl {
  current(): number;
  claim():
    | { kind: "Absent" }
    | { kind: "Locked"; claim: HlsAbrClaim }
    | { kind: "Ready"; claim: HlsAbrClaim };
  commit(claim: HlsAbrClaim): boolean;
  abort(ticket: number): boolean;
  setMode(mode: AbrMode): void;
  setMaxBandwidthCap(capBps: number | null): void;
  invalidatePending(): void;
  markEscaping(): void;
  selectedVariantForSeek(): number;
  tick(): void;
}

/** The controller the Downloader was built with (`AbrController`). */
export interface HlsAbr {
  peer(peerId: number): HlsAbrControl;
}

/** The store slices used (STORE seam: `AssetStore`, `AssetHandle`, `ResourceHandle`). */
export interface HlsResource {
  readonly url: string;
  readonly path: string | undefined;
  state(): "absent" | "partial" | "committed";
  finalLength(): number | undefined;
  isClaimed(): boolean;
  putWhole(bytes: Uint8Array): Promise<void>;
  readWhole(): Promise<Uint8Array>;
}

export interface HlsAsset {
  resource(
    url: string,
    options?: { name?: string; byteRange?: { start: number; end: number } },
  ): Promise<HlsResource>;
}

export interface HlsStore {
  asset(url: string): Promise<HlsAsset>;
}
