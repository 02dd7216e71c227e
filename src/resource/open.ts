/**
 * `open(url)` (RES-1): a local path or `file:` URL is read in place (FILE-1); an HLS URL
 * (`.m3u8`, or a response with an HLS content-type) goes to the HLS peer; anything else to
 * the progressive peer. Every branch returns the same `Resource`.
 */
import { fileURLToPath } from "node:url";
import { type Clock, systemClock } from "../core/clock.js";
import { EventBus } from "../events/bus.js";
import { isHlsContentType } from "../file/checks.js";
import { FileError } from "../file/errors.js";
import { isLocalPath, LocalFileSource } from "../file/local.js";
import { openProgressive } from "../file/open.js";
import type { FileOptions, PeerHost } from "../file/types.js";
import type { HlsAbr, HlsDownloader } from "../hls/deps.js";
import { isHlsUrl, openHls as openHlsSource } from "../hls/source.js";
import type { AssetStore } from "../store/types.js";
import { UnsupportedResourceError } from "./errors.js";
import { createResource } from "./resource.js";
import type { Resource } from "./types.js";

export interface OpenOptions extends FileOptions {
  /** The application's shared Downloader (DL-1). */
  downloader: PeerHost & HlsDownloader;
  /** HLS: the Downloader's ABR controller (variant switching); absent = a fixed variant. */
  abr?: HlsAbr;
  /** HLS: a fixed variant index. */
  variant?: number;
  /** HLS: only variants at or below this bandwidth (bit/s). */
  maxBitrate?: number;
  store: AssetStore;
  /** Root (or any) bus; the resource publishes on a scoped child. Default: a fresh root. */
  bus?: EventBus;
  clock?: Clock;
}

/** RES-1/RES-3: the HLS peer's byte view (init + segments of the playback path). */
async function openHls(url: string, options: OpenOptions, bus: EventBus): Promise<Resource> {
  const o: Parameters<typeof openHlsSource>[1] = {
    downloader: options.downloader,
    store: options.store,
    bus: bus.scoped(),
    priority: options.playing === false ? "low" : "high",
  };
  if (options.abr) o.abr = options.abr;
  if (options.variant !== undefined) o.variant = options.variant;
  if (options.maxBitrate !== undefined) o.maxBitrate = options.maxBitrate;
  if (options.clock) o.clock = options.clock;
  return createResource(await openHlsSource(url, o));
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
  if (isHlsUrl(target)) return openHls(target, options, bus);
  const ctx = {
    downloader: options.downloader,
    store: options.store,
    bus,
    clock: options.clock ?? systemClock,
  };
  try {
    return createResource(await openProgressive(ctx, target, options));
  } catch (err) {
    if (err instanceof FileError && isHlsContentType(err.contentType)) {
      return openHls(target, options, bus);
    }
    throw err;
  }
}
