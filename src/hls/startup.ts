/**
 * Start-up (HLS-5): the entry playlist, every variant playlist and every key, fetched through
 * `execute` with the HTML validator and the store cache. Unsupported encryption fails here,
 * before any segment is requested (HLS-4 [+]).
 */
import type { EventBus } from "../events/bus.js";
import type { VariantInfo } from "../events/domains/abr.js";
import { HlsUnsupportedError, PlaylistError } from "./errors.js";
import { KeyCache } from "./keys.js";
import { keyFetcher, type LoaderContext, loadPlaylist } from "./loader.js";
import type { MasterPlaylist, MediaPlaylist } from "./model.js";

export interface LoadedMedia {
  url: string;
  info: VariantInfo;
  playlist: MediaPlaylist;
}

export interface LoadedStream {
  master: MasterPlaylist | null;
  medias: LoadedMedia[];
  keys: KeyCache;
}

export async function loadStream(
  ctx: LoaderContext,
  url: string,
  bus: EventBus,
): Promise<LoadedStream> {
  const top = await loadPlaylist(ctx, url);
  const medias: LoadedMedia[] = [];
  if (top.kind === "master") {
    const loaded = await Promise.all(top.variants.map((v) => loadPlaylist(ctx, v.url)));
    loaded.forEach((p, i) => {
      const v = top.variants[i]!;
      if (p.kind !== "media") throw new PlaylistError(v.url, null, "variant is a master playlist");
      const info: VariantInfo = { index: i, bandwidth: v.bandwidth, name: v.name };
      if (v.codecs) info.codecs = v.codecs;
      medias.push({ url: v.url, info, playlist: p });
    });
  } else {
    medias.push({ url, info: { index: 0, bandwidth: 1, name: "single" }, playlist: top });
  }
  for (const m of medias) {
    const u = m.playlist.unsupportedKeys[0];
    if (!u) continue;
    bus.publish({ domain: "drm", type: "UnsupportedMethod", method: u.method });
    const format = u.keyFormat ? ` (${u.keyFormat})` : "";
    throw new HlsUnsupportedError(
      u.method,
      `${m.url}: encryption ${u.method}${format} is not supported; only AES-128 is`,
    );
  }
  const keys = new KeyCache(keyFetcher(ctx), bus);
  const uris = new Set<string>();
  for (const m of medias) for (const s of m.playlist.segments) if (s.key) uris.add(s.key.uri);
  await Promise.all([...uris].map((k) => keys.get(k)));
  return { master: top.kind === "master" ? top : null, medias, keys };
}
