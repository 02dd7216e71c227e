/**
 * `openProgressive`: a reader of a progressive (non-HLS) URL. A committed resource is read
 * with no network (FILE-1); otherwise the reader joins the URL's shared session, which elects
 * one writer and registers one peer for all readers (FILE-2).
 */
import type { AssetStore } from "../store/types.js";
import { FileError } from "./errors.js";
import { FileSession } from "./session.js";
import { FileSource } from "./source.js";
import type { FileContext, FileOptions } from "./types.js";

/** Live sessions per store, by asset root + resource key: one download per resource. */
const registries = new WeakMap<AssetStore, Map<string, FileSession>>();

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new FileError("FILE_BAD_ARGUMENT", url, `not a URL: ${url}`, err);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new FileError("FILE_BAD_ARGUMENT", url, `only http(s) URLs are downloaded: ${url}`);
}

/**
 * Open a reader over `url`. Resolves once the resource is usable: committed or partial bytes
 * exist, or the first response was accepted; rejects with a `FileError` (cause: the NetError)
 * when the download fails before that, leaving no file behind (FILE-4).
 */
export async function openProgressive(
  ctx: FileContext,
  url: string,
  options: FileOptions = {},
): Promise<FileSource> {
  checkUrl(url);
  const asset = await ctx.store.asset(url);
  const handle = await asset.resource(url);
  const reader = await handle.openReader();
  let map = registries.get(ctx.store);
  if (!map) {
    map = new Map();
    registries.set(ctx.store, map);
  }
  const registry = map;
  const id = `${asset.assetRoot}/${handle.key}`;
  let session = registry.get(id);
  if (!session || session.failure) {
    const s = new FileSession(ctx, url, handle, options, () => {
      if (registry.get(id) === s) registry.delete(id);
    });
    registry.set(id, s);
    session = s;
  }
  let source: FileSource;
  try {
    source = new FileSource(session, reader, options);
  } catch (err) {
    await reader.close();
    throw err;
  }
  session.publish({ type: "Opened", cached: handle.state() === "committed" });
  session.attach(source);
  try {
    await session.started();
  } catch (err) {
    await source.close();
    throw err;
  }
  return source;
}
