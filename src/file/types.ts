/** Options and collaborators of the progressive peer (FILE-1..7). */
import type { Clock } from "../core/clock.js";
import type { Peer } from "../dl/types.js";
import type { EventBus } from "../events/bus.js";
import type { AssetStore } from "../store/types.js";

/** What the peer needs from the Downloader's `PeerHandle` (DL-2, DL-17). */
export interface PeerLink {
  wake(): void;
  dispose(): void;
}

/** What the peer needs from the Downloader: registration (DL-2). */
export interface PeerHost {
  register(peer: Peer, options?: { bus?: EventBus }): PeerLink;
}

export interface FileOptions {
  /** FILE-3: bytes fetched ahead of a reader's position; `Infinity` (default) = no limit. */
  lookAhead?: number;
  /**
   * FILE-6: a seek (or a blocked read) further than this many bytes ahead of the in-flight
   * fetch's write head, or behind it, cancels that fetch and refetches from the target.
   * Default 1 MiB.
   */
  seekGap?: number;
  /** The track is being played from the start: high peer priority (FILE-3). */
  playing?: boolean;
  /** How often a `Progress` event is published, in bytes written. Default 1 MiB. */
  progressBytes?: number;
  /** When another process holds the writer claim, try to take it over this often. 500 ms. */
  claimRetryMs?: number;
}

/** The collaborators every progressive resource of one application shares. */
export interface FileContext {
  downloader: PeerHost;
  store: AssetStore;
  /** Where `file`-domain events go; each resource publishes on a scoped child. */
  bus: EventBus;
  clock: Clock;
}
