/**
 * Start-up (HLS-5): the entry playlist, every variant playlist and every key, fetched through
 * `execute` with the HTML validator and the store cache. Every variant playlist is fetched at
 * once, but each is parsed, checked and has its keys loaded when first asked for
 * (`StreamHead.media`): the peer asks for the variant it plays first before any segment
 * request and for the rest right after, so 3 cold parses of long playlists are not on the
 * path to the first segment. Unsupported encryption in a variant fails it before any of
 * ITS segments is requested (HLS-4 [+]).
 */
import type { EventBus } from "../events/bus.js";
import type { VariantInfo } from "../events/domains/abr.js";
import { HlsUnsupportedError, PlaylistError } from "./errors.js";
import { KeyCache } from "./keys.js";
import { type FetchedPlaylist, fetchPlaylist, keyFetcher, type LoaderContext } from "./loader.js";
import type { MasterPlaylist, MediaPlaylist, Playlist } from "./model.js";

export interface LoadedMedia {
  url: string;
  info: VariantInfo;
  playlist: MediaPlaylist;
}

export interface StreamHead {
  master: MasterPlaylist | null;
  /** Every variant (the master's order), known before any variant playlist is parsed. */
  infos: VariantInfo[];
  keys: KeyCache;
  /** Variant `i`: parsed, checked and its keys loaded (once; later calls share it). */
  media(i: number): Promise<LoadedMedia>;
}

export async function openStream(
  ctx: LoaderContext,
  url: string,
  bus: EventBus,
): Promise<StreamHead> {
  const top = await (await fetchPlaylist(ctx, url)).parse();
  const keys = new KeyCache(keyFetcher(ctx), bus);
  let sources: { url: string; info: VariantInfo; fetched: FetchedPlaylist | Playlist }[];
  if (top.kind === "master") {
    // HLS-5: every variant playlist is fetched now, in parallel; a failed fetch fails here.
    const fetched = await Promise.all(top.variants.map((v) => fetchPlaylist(ctx, v.url)));
    sources = top.variants.map((v, i) => {
      const info: VariantInfo = { index: i, bandwidth: v.bandwidth, name: v.name };
      if (v.codecs) info.codecs = v.codecs;
      return { url: v.url, info, fetched: fetched[i]! };
    });
  } else {
    sources = [{ url, info: { index: 0, bandwidth: 1, name: "single" }, fetched: top }];
  }
  const loaded = new Map<number, Promise<LoadedMedia>>();
  const load = async (i: number): Promise<LoadedMedia> => {
    const src = sources[i];
    if (!src) throw new PlaylistError(url, null, `no variant ${i}`);
    const f = src.fetched;
    const p = "parse" in f ? await f.parse() : f;
    if (p.kind !== "media") throw new PlaylistError(src.url, null, "variant is a master playlist");
    const u = p.unsupportedKeys[0];
    if (u) {
      bus.publish({ domain: "drm", type: "UnsupportedMethod", method: u.method });
      const format = u.keyFormat ? ` (${u.keyFormat})` : "";
      throw new HlsUnsupportedError(
        u.method,
        `${src.url}: encryption ${u.method}${format} is not supported; only AES-128 is`,
      );
    }
    const uris = new Set<string>();
    for (const s of p.segments) if (s.key) uris.add(s.key.uri);
    await Promise.all([...uris].map((k) => keys.get(k)));
    return { url: src.url, info: src.info, playlist: p };
  };
  return {
    master: top.kind === "master" ? top : null,
    infos: sources.map((s) => s.info),
    keys,
    media: (i) => {
      let p = loaded.get(i);
      if (!p) {
        p = load(i);
        loaded.set(i, p);
      }
      return p;
    },
  };
}
