/**
 * Segment slots (HLS-7): one per (variant, media sequence) and one per init section.
 * Missing -> Downloading -> Loaded, or Failed (final); `slow` after the soft timeout.
 */
import type { CancelToken } from "../core/cancel.js";
import type { HlsAsset, HlsResource as ResourceHandle } from "./deps.js";
import type { InitSection, MediaSegment } from "./model.js";

export type SlotState = "missing" | "downloading" | "loaded" | "failed";

export interface Slot {
  readonly kind: "segment" | "init";
  readonly variant: number;
  /** Media sequence (segments) or -1 (init sections). */
  readonly sequence: number;
  readonly url: string;
  readonly range: { offset: number; length: number } | null;
  /** The store resource, once looked up (`resolved`); null without a store. */
  resource: ResourceHandle | null;
  /**
   * The store was asked whether this slot is already cached. Looked up lazily, a batch ahead
   * of the plan (`resolveSlots`): a 60-minute 4-variant stream has 3 600 slots, and most of
   * them (the variants never played) are never needed.
   */
  resolved: boolean;
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

/** A slot, not looked up in the store yet unless `resolved` (no store: nothing to look up). */
export function newSlot(
  kind: Slot["kind"],
  variant: number,
  sequence: number,
  target: Pick<MediaSegment | InitSection, "url" | "range">,
  estimate: number,
  resolved: boolean,
): Slot {
  return {
    kind,
    variant,
    sequence,
    url: target.url,
    range: target.range,
    resource: null,
    resolved,
    state: "missing",
    slow: false,
    bytes: estimate,
    decryptFailures: 0,
    transientRounds: 0,
    reported: false,
    notBefore: 0,
    token: null,
  };
}

/**
 * Look the slots up in the store (once each, concurrent callers share nothing but the
 * `resolved` flag): a committed resource makes its slot Loaded with its real size.
 */
export async function resolveSlots(slots: readonly Slot[], asset: HlsAsset): Promise<void> {
  await Promise.all(
    slots.map(async (slot) => {
      const r = slot.range;
      const res = await asset.resource(
        slot.url,
        r ? { byteRange: { start: r.offset, end: r.offset + r.length } } : undefined,
      );
      slot.resource = res;
      slot.resolved = true;
      if (slot.state === "missing" && res.state() === "committed") {
        slot.state = "loaded";
        slot.bytes = res.finalLength() ?? slot.bytes;
      }
    }),
  );
}

/** Identity of an init section within a variant (URL + byte range). */
export function initKey(init: InitSection): string {
  return init.range ? `${init.url}#${init.range.offset}+${init.range.length}` : init.url;
}
