import type { AbrEvent } from "./domains/abr.js";
import type { AssetEvent } from "./domains/asset.js";
import type { DownloaderEvent } from "./domains/downloader.js";
import type { DrmEvent } from "./domains/drm.js";
import type { FileEvent } from "./domains/file.js";
import type { HlsEvent } from "./domains/hls.js";

/** Every event plectrum publishes: a union of per-domain unions, discriminated by `domain` then `type` (EVT-4). */
export type PlectrumEvent =
  | DownloaderEvent
  | AbrEvent
  | FileEvent
  | HlsEvent
  | AssetEvent
  | DrmEvent;

export type Domain = PlectrumEvent["domain"];

/** Labels a scoped bus stamps on its envelopes (EVT-2). */
export interface Labels {
  deck?: string;
  track?: string;
}

/** A delivered event (EVT-2). */
export interface Envelope<E extends PlectrumEvent = PlectrumEvent> {
  /** Id of the bus that published it. */
  origin: number;
  /** Strictly increasing across the whole hierarchy. */
  seq: number;
  /** Monotonic microseconds (clock time x 1000). */
  ts: number;
  deck?: string;
  track?: string;
  event: E;
}

/** Told to an async subscriber whose buffer overflowed: `lagged` events were dropped (EVT-3). */
export interface Lagged {
  lagged: number;
}

export type BusMessage = Envelope | Lagged;

export function isLagged(m: BusMessage): m is Lagged {
  return "lagged" in m;
}

/** Narrow an event to one domain. */
export type EventOf<D extends Domain> = Extract<PlectrumEvent, { domain: D }>;
