/**
 * Start-up fetches (HLS-5): playlists and keys go through the Downloader's imperative path
 * (`execute`) with the HTML validator on, and are cached in the asset store. A cached copy
 * is validated by parsing and refetched once if invalid; nothing is cached before it parsed.
 */
import { createHash } from "node:crypto";
import type { ExecCmd, ExecResult } from "../dl/types.js";
import type { EventBus } from "../events/bus.js";
import type { HlsAsset as AssetHandle, HlsResource as ResourceHandle } from "./deps.js";
import { PlaylistError } from "./errors.js";
import type { KeyFetch } from "./keys.js";
import type { Playlist } from "./model.js";
import { DEFAULT_PLAYLIST_LIMITS, type PlaylistLimits, parsePlaylist } from "./parse.js";

/** What the loader needs from a peer handle. */
export interface Executor {
  execute(cmd: ExecCmd): Promise<ExecResult>;
}

export interface LoaderContext {
  exec: Executor;
  /** Where playlists and keys are cached; `null` = no caching. */
  asset: AssetHandle | null;
  bus: EventBus;
  limits?: PlaylistLimits;
  /**
   * Where playlist cache writes go instead of being awaited (the peer tracks them): a commit
   * is a datasync + rename + directory fsync, and start-up should not wait for one per
   * playlist before parsing the next step.
   */
  background?: (write: Promise<void>) => void;
}

function metaName(url: string): string {
  return `_hls/${createHash("sha256").update(url).digest("hex").slice(0, 24)}.url`;
}

async function committed(res: ResourceHandle | null): Promise<Uint8Array | null> {
  if (res?.state() !== "committed") return null;
  try {
    return await res.readWhole();
  } catch {
    return null;
  }
}

/**
 * Load the playlist at `url`. `fresh` skips the cache (live reloads); the result is still
 * written to it. Returns the parsed playlist (its `url` is the final URL after redirects).
 */
export async function loadPlaylist(
  ctx: LoaderContext,
  url: string,
  fresh = false,
): Promise<Playlist> {
  return (await fetchPlaylist(ctx, url, fresh)).parse();
}

/** A playlist fetched (or found in the cache) whose parse can wait. */
export interface FetchedPlaylist {
  /** Parse (once), cache it when it came from the network, publish `PlaylistLoaded`. */
  parse(): Promise<Playlist>;
}

/**
 * Fetch the playlist at `url` without parsing it yet (a cached copy is parsed now: an invalid
 * one is refetched once, HLS-5). Start-up fetches every variant playlist at once but parses
 * only the one it plays first before the first segment request.
 */
export async function fetchPlaylist(
  ctx: LoaderContext,
  url: string,
  fresh = false,
): Promise<FetchedPlaylist> {
  const limits = ctx.limits ?? DEFAULT_PLAYLIST_LIMITS;
  const res = ctx.asset ? await ctx.asset.resource(url) : null;
  const meta = ctx.asset ? await ctx.asset.resource(url, { name: metaName(url) }) : null;
  if (!fresh) {
    const bytes = await committed(res);
    if (bytes) {
      const final = await committed(meta);
      try {
        const p = parsePlaylist(final ? new TextDecoder().decode(final) : url, bytes, limits);
        return once(async () => {
          publishLoaded(ctx.bus, url, p);
          return p;
        });
      } catch (err) {
        if (!(err instanceof PlaylistError)) throw err;
        // HLS-5: an invalid cached copy is refetched once, below.
      }
    }
  }
  const got = await ctx.exec.execute({ url, rejectHtml: true });
  return once(async () => {
    const finalUrl = got.response.url || url;
    const p = parsePlaylist(finalUrl, got.bytes, limits);
    const cache = async () => {
      if (res && !res.isClaimed()) await res.putWhole(got.bytes);
      if (meta && finalUrl !== url && !meta.isClaimed()) {
        await meta.putWhole(new TextEncoder().encode(finalUrl));
      }
    };
    if (ctx.background) ctx.background(cache());
    else await cache();
    publishLoaded(ctx.bus, url, p);
    return p;
  });
}

function once(parse: () => Promise<Playlist>): FetchedPlaylist {
  let p: Promise<Playlist> | undefined;
  return { parse: () => (p ??= parse()) };
}

function publishLoaded(bus: EventBus, url: string, p: Playlist): void {
  if (p.kind === "master") {
    bus.publish({
      domain: "hls",
      type: "PlaylistLoaded",
      url,
      kind: "master",
      variants: p.variants.length,
    });
  } else {
    bus.publish({
      domain: "hls",
      type: "PlaylistLoaded",
      url,
      kind: "media",
      segments: p.segments.length,
      live: !p.endList,
    });
  }
}

/** A `KeyFetch` over `execute` with the store as cache (only 16-byte keys are cached). */
export function keyFetcher(ctx: LoaderContext): KeyFetch {
  return async (uri) => {
    const res = ctx.asset ? await ctx.asset.resource(uri) : null;
    const cached = await committed(res);
    if (cached && cached.byteLength === 16) return { bytes: cached, cached: true };
    const got = await ctx.exec.execute({ url: uri, rejectHtml: true });
    if (res && got.bytes.byteLength === 16 && !res.isClaimed()) await res.putWhole(got.bytes);
    return { bytes: got.bytes, cached: false };
  };
}
