/**
 * HLS playlist rewriting for the proxy (CLI-2): every URI in a playlist (variant playlists,
 * segments, init maps, keys, renditions) is resolved against the playlist's final URL and
 * replaced by a proxy URL, so a player fetches everything through the proxy. Line-based on
 * purpose: every other byte of the playlist is kept exactly as the origin sent it.
 * Also returns the media segments in order, which drive prefetch.
 */

export interface SegmentRef {
  /** Absolute upstream URL. */
  url: string;
  /** EXT-X-BYTERANGE sub-range [start, end), when present. */
  range?: { start: number; end: number };
}

export interface Rewritten {
  text: string;
  /** Master playlist (has `EXT-X-STREAM-INF`). */
  master: boolean;
  /** Media segments in playlist order (empty for a master). */
  segments: SegmentRef[];
}

const URI_ATTR = /URI="([^"]*)"/g;

/** True when the bytes look like an M3U8 playlist. */
export function looksLikePlaylist(
  contentType: string | undefined,
  url: string,
  head: string,
): boolean {
  const ct = (contentType ?? "").toLowerCase();
  if (ct.includes("mpegurl")) return true;
  if (/\.m3u8?$/i.test(new URL(url).pathname)) return true;
  return head.trimStart().startsWith("#EXTM3U");
}

function resolveHttp(uri: string, base: string): string | undefined {
  try {
    const u = new URL(uri, base);
    if (u.protocol !== "http:" && u.protocol !== "https:") return undefined;
    return u.href;
  } catch {
    return undefined;
  }
}

/**
 * Rewrite `text` (a playlist fetched from `base`, its final URL after redirects) so every
 * http(s) URI goes through `toProxy`. URIs of other schemes (data:, skd:) are left alone.
 */
export function rewritePlaylist(
  text: string,
  base: string,
  toProxy: (absoluteUrl: string) => string,
): Rewritten {
  const lines = text.split(/\r?\n/);
  const segments: SegmentRef[] = [];
  let master = false;
  let pendingRange: { length: number; offset: number | undefined } | undefined;
  const lastEnd = new Map<string, number>();
  const out = lines.map((line) => {
    const trimmed = line.trim();
    if (trimmed === "") return line;
    if (trimmed.startsWith("#")) {
      if (trimmed.startsWith("#EXT-X-STREAM-INF")) master = true;
      const br = /^#EXT-X-BYTERANGE:(\d+)(?:@(\d+))?/.exec(trimmed);
      if (br)
        pendingRange = {
          length: Number(br[1]),
          offset: br[2] === undefined ? undefined : Number(br[2]),
        };
      return line.replace(URI_ATTR, (whole, uri: string) => {
        const abs = resolveHttp(uri, base);
        return abs === undefined ? whole : `URI="${toProxy(abs)}"`;
      });
    }
    const abs = resolveHttp(trimmed, base);
    if (abs === undefined) return line;
    if (!master) {
      const seg: SegmentRef = { url: abs };
      if (pendingRange) {
        const start = pendingRange.offset ?? lastEnd.get(abs) ?? 0;
        seg.range = { start, end: start + pendingRange.length };
        lastEnd.set(abs, seg.range.end);
      }
      segments.push(seg);
    }
    pendingRange = undefined;
    return toProxy(abs);
  });
  return { text: out.join("\n"), master, segments: master ? [] : segments };
}
