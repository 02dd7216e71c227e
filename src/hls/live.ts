/**
 * Live reloads (HLS-12): merge a reloaded media playlist into a variant's state. New
 * segments (by media sequence) are appended with start times continuing the known
 * timeline; their keys are loaded before any of them can be fetched.
 */
import type { HlsAsset } from "./deps.js";
import { HlsUnsupportedError } from "./errors.js";
import type { KeyCache } from "./keys.js";
import type { MediaPlaylist } from "./model.js";
import { addSegments, freshSegments, type VariantState } from "./variant-state.js";

/** Merge `p` into `vs`; true when the reload brought anything new (segments or ENDLIST). */
export async function mergeReload(
  vs: VariantState,
  p: MediaPlaylist,
  asset: HlsAsset | null,
  keys: KeyCache | null,
): Promise<boolean> {
  const unsupported = p.unsupportedKeys[0];
  if (unsupported) {
    throw new HlsUnsupportedError(
      unsupported.method,
      `${vs.url}: encryption ${unsupported.method} is not supported; only AES-128 is`,
    );
  }
  const fresh = freshSegments(vs, p);
  addSegments(vs, fresh, asset !== null);
  if (keys) for (const s of fresh) if (s.key) await keys.get(s.key.uri);
  const changed = fresh.length > 0 || (p.endList && !vs.playlist.endList);
  vs.lastReloadChanged = changed;
  vs.playlist = {
    ...p,
    endList: p.endList || vs.playlist.endList,
    segments: [...vs.segments.values()],
    mediaSequence: vs.segments.keys().next().value ?? p.mediaSequence,
  };
  return changed;
}
