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
import { isHlsUrl } from "../hls/source.js";
import type { AssetStore } from "../store/types.js";
import { UnsupportedResourceError } from "./errors.js";
import { createResource } from "./resource.js";
import type { Resource } from "./types.js";

export interface OpenOptions extends FileOptions {
  /** The application's shared Downloader (DL-1). */
  downloader: PeerHost;
  store: AssetStore;
  /** Root (or any) bus; the resource publishes on a scoped child. Default: a fresh root. */
  bus?: EventBus;
  clock?: Clock;
}

function openHls(url: string): never {
  throw new UnsupportedResourceError(url, "HLS streams are not supported by this build");
}

/** Open `target` (an http(s) URL, a `file:` URL or an absolute path) as a `Resource`. */
export async function open(target: string, options: OpenOptions): Promise<Resource> {
  if (target.startsWith("file:"))
    return createResource(await LocalFileSource.open(fileURLToPath(target)));
  if (isLocalPath(target)) return createResource(await LocalFileSource.open(target));
  if (isHlsUrl(target)) return openHls(target);
  const ctx = {
    downloader: options.downloader,
    store: options.store,
    bus: options.bus ?? EventBus.root(),
    clock: options.clock ?? systemClock,
  };
  try {
    return createResource(await openProgressive(ctx, target, options));
  } catch (err) {
    if (err instanceof FileError && isHlsContentType(err.contentType)) return openHls(target);
    throw err;
  }
}
