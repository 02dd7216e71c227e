/**
 * Segment slots (HLS-7): one per (variant, media sequence) and one per init section.
 * Missing -> Downloading -> Loaded, or Failed (final); `slow` after the soft timeout.
 */
import type { CancelToken } from "../core/cancel.js";
import type { HlsResource as ResourceHandle } from "./deps.js";
import type { InitSection, MediaSegment } from "./model.js";

export type SlotState = "missing" | "downloading" | "loaded" | "failed";

export interface Slot {
  readonly kind: "segment" | "init";
  readonly variant: number;
  /** Media sequence (segments) or -1 (init sections). */
  readonly sequence: number;
  readonly url: string;
  readonly range: { offset: number; length: number } | null;
  readonly resource: ResourceHandle | null;
  state: SlotState;
  slow: boolean;
  /** Bytes once loaded (decrypted); else the estimate used by the look-ahead window. */
  bytes: number;
  /** Bad-padding failures so far (HLS-4: one refetch, then Failed). */
  decryptFailures: number;
  /** Transient-after-retries rounds so far (HLS-7). */
  transientRounds: number;
  /** A `SegmentLoaded` event was published for it. */
  reported: boolean;
  /** Not before this clock time (a requeued transient failure backs off). */
  notBefore: number;
  /** Cancels this slot's fetch (a child of the epoch it was issued in). */
  token: CancelToken | null;
}

export function newSlot(
  kind: Slot["kind"],
  variant: number,
  sequence: number,
  target: Pick<MediaSegment | InitSection, "url" | "range">,
  resource: ResourceHandle | null,
  estimate: number,
): Slot {
  const loaded = resource?.state() === "committed";
  return {
    kind,
    variant,
    sequence,
    url: target.url,
    range: target.range,
    resource,
    state: loaded ? "loaded" : "missing",
    slow: false,
    bytes: loaded ? (resource?.finalLength() ?? estimate) : estimate,
    decryptFailures: 0,
    transientRounds: 0,
    reported: false,
    notBefore: 0,
    token: null,
  };
}

/** Identity of an init section within a variant (URL + byte range). */
export function initKey(init: InitSection): string {
  return init.range ? `${init.url}#${init.range.offset}+${init.range.length}` : init.url;
}
