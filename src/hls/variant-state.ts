/**
 * Per-variant state of the HLS peer: known segments by media sequence (live playlists
 * append), their slots and init-section slots (HLS-7), and time lookups (HLS-9).
 */
import type { VariantInfo } from "../events/domains/abr.js";
import type { InitSection, MediaPlaylist, MediaSegment } from "./model.js";
import { initKey, newSlot, type Slot } from "./slots.js";

export interface VariantState {
  info: VariantInfo;
  url: string;
  playlist: MediaPlaylist;
  /** Segments known so far, by media sequence, in order. */
  segments: Map<number, MediaSegment>;
  /** Highest media sequence known (-1 when none). */
  lastSequence: number;
  slots: Map<number, Slot>;
  inits: Map<string, Slot>;
  /** Live: whether the last reload changed anything (HLS-12 reload interval). */
  lastReloadChanged: boolean;
}

export function createVariantState(
  url: string,
  info: VariantInfo,
  playlist: MediaPlaylist,
  withStore: boolean,
): VariantState {
  const vs: VariantState = {
    info,
    url,
    playlist,
    segments: new Map(),
    lastSequence: -1,
    slots: new Map(),
    inits: new Map(),
    lastReloadChanged: true,
  };
  addSegments(vs, playlist.segments, withStore);
  return vs;
}

/**
 * Add segments not known yet, with their slots. With a store the slots are looked up later
 * (`resolveSlots`, a batch ahead of the plan; a cached one then turns Loaded, no network).
 * Size estimates come from BANDWIDTH until loaded.
 */
export function addSegments(
  vs: VariantState,
  segs: readonly MediaSegment[],
  withStore: boolean,
): void {
  const perSecond = vs.info.bandwidth / 8;
  for (const s of segs) {
    if (vs.segments.has(s.sequence)) continue;
    vs.segments.set(s.sequence, s);
    vs.lastSequence = Math.max(vs.lastSequence, s.sequence);
    const est = s.range?.length ?? Math.max(1, Math.round(perSecond * s.duration));
    vs.slots.set(s.sequence, newSlot("segment", vs.info.index, s.sequence, s, est, !withStore));
    if (s.init && !vs.inits.has(initKey(s.init))) {
      const init = s.init;
      const slot = newSlot("init", vs.info.index, -1, init, init.range?.length ?? 1024, !withStore);
      vs.inits.set(initKey(init), slot);
    }
  }
}

/** The segment that plays at time `t` (binary search on start times), else the first. */
export function segmentAt(vs: VariantState, t: number): MediaSegment | undefined {
  const segs = [...vs.segments.values()];
  let lo = 0;
  let hi = segs.length - 1;
  let best = segs[0];
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segs[mid]!;
    if (s.start <= t + 1e-6) {
      best = s;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** The init section an init slot holds. */
export function initOfSlot(vs: VariantState, slot: Slot): InitSection | undefined {
  for (const s of vs.segments.values()) {
    if (s.init && vs.inits.get(initKey(s.init)) === slot) return s.init;
  }
  return undefined;
}

/** Live (HLS-12): segments of a reload newer than every known one, with start times
 * continuing the known timeline. */
export function freshSegments(vs: VariantState, p: MediaPlaylist): MediaSegment[] {
  const last = vs.segments.get(vs.lastSequence);
  let t = last ? last.start + last.duration : 0;
  return p.segments
    .filter((s) => s.sequence > vs.lastSequence)
    .map((s) => {
      const c = { ...s, start: t };
      t += s.duration;
      return c;
    });
}
