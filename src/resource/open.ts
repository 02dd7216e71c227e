/**
 * `open(url)` (RES-1): a local path or `file:` URL is read in place (FILE-1); an HLS URL
 * (`.m3u8`, or a response with an HLS content-type) goes to the HLS peer; anything else to
 * the progressive peer. Every branch returns the same `Resource`.
 */
import { fileURLToPath } from "node:url";
import { type Clock, systemClock } from "../core/clock.js";
import type { Downloader } from "../dl/downloader.js";
import { EventBus } from "../events/bus.js";
import { isHlsContentType } from "../file/checks.js";
import { FileError } from "../file/errors.js";
import { isLocalPath, LocalFileSource } from "../file/local.js";
import { openProgressive } from "../file/open.js";
import type { FileOptions } from "../file/types.js";
import type { HlsPeerOptions } from "../hls/peer.js";
import { isHlsUrl, openHls } from "../hls/source.js";
import type { AssetStore } from "../store/types.js";
import { UnsupportedResourceError } from "./errors.js";
import { createResource } from "./resource.js";
import type { Resource } from "./types.js";

/** HLS-only choices (variant, ABR, look-ahead...); the shared collaborators come from `open`. */
export type HlsOpenOptions = Omit<HlsPeerOptions, "downloader" | "store" | "bus" | "clock">;

export interface OpenOptions extends FileOptions {
  /** The application's shared Downloader (DL-1). */
  downloader: Downloader;
  store: AssetStore;
  /** Root (or any) bus; the resource publishes on a scoped child. Default: a fresh root. */
  bus?: EventBus;
  clock?: Clock;
  hls?: HlsOpenOptions;
}

function localPath(target: string): string {
  try {
    return fileURLToPath(target);
  } catch (err) {
    throw new UnsupportedResourceError(target, `not a local file URL (${String(err)})`);
  }
}

/** Open `target` (an http(s) URL, a `file:` URL or an absolute path) as a `Resource`. */
export async function open(target: string, options: OpenOptions): Promise<Resource> {
  if (target.startsWith("file:"))
    return createResource(await LocalFileSource.open(localPath(target)));
  if (isLocalPath(target)) return createResource(await LocalFileSource.open(target));
  const bus = options.bus ?? EventBus.root();
  const clock = options.clock ?? systemClock;
  const { downloader, store } = options;
  const hls = () => openHls(target, { ...options.hls, downloader, store, bus, clock });
  if (isHlsUrl(target)) return createResource(await hls());
  try {
    return createResource(
      await openProgressive({ downloader, store, bus, clock }, target, options),
    );
  } catch (err) {
    // A plain URL that answered with a playlist content-type is an HLS stream (RES-1).
    if (err instanceof FileError && isHlsContentType(err.contentType))
      return createResource(await hls());
    throw err;
  }
}
