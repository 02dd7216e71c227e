/**
 * The ABR seam the Downloader calls (DL-2, DL-11, ABR-3). The controller, estimator and
 * policies implement it; the Downloader depends only on this interface.
 */

import type { EventBus } from "../events/bus.js";
import type { AbrEvent, VariantInfo } from "../events/domains/abr.js";

export type { VariantInfo };

/** Playback progress in seconds; `null` = unknown (ABR-3). */
export interface AbrProgress {
  readerTime: number | null;
  downloadHeadTime: number | null;
}

/** What a peer exposes to ABR. Peers without variants (progressive files) omit them. */
export interface AbrPeerSurface {
  variants?(): readonly VariantInfo[];
  progress?(): AbrProgress;
  /** Called when ABR wants the peer polled again (a decision changed). */
  wake?(): void;
  /** [+] Nominal segment duration in seconds (model-predictive policies size segments with it). */
  segmentDuration?(): number | null;
  /** [+] The variant index to start on; default: the policy's pick from the fallback estimate. */
  initialVariant?(): number | undefined;
  /**
   * [+] True when the peer plays a variant it chose itself and follows no ABR decision: ABR
   * still registers and reports its variants, but never runs the policy for it (ticks end as
   * `ManualOverride`).
   */
  readonly fixedVariant?: boolean;
}

/** One throughput observation (DL-11). */
export interface BandwidthSample {
  bytes: number;
  /** From dispatch to the end of the body. */
  durationMs: number;
  /** Time to first byte, when known ([+] DL-11, ABR-2). */
  ttfbMs?: number;
  source: "network" | "cache";
}

/** What the Downloader needs from the ABR controller. */
export interface AbrRegistry {
  /** Register a peer; returns its ABR peer id (1, 2, ...). Events go on `bus`. */
  register(peer: AbrPeerSurface, bus: EventBus): number;
  unregister(peerId: number): void;
  recordBandwidth(peerId: number, sample: BandwidthSample): void;
}

export type { AbrEvent };
