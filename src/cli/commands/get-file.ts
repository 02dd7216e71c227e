/**
 * `plectrum get` for a progressive file (CLI-1): `open(url)` (RES-1) downloads through the
 * engine into the cache (FILE-*); the bytes are streamed to the output as they arrive,
 * written to `<out>.part` and renamed when complete.
 */
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, join, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { UnsupportedResourceError } from "../../resource/errors.js";
import { open } from "../../resource/open.js";
import type { Engine } from "../engine.js";
import type { GetOptions } from "../options.js";
import type { Session } from "../session.js";
import type { GetResult } from "./get.js";
import { isDirectory } from "./output.js";

/** The output file of a progressive download. */
async function fileOutput(url: string, output: string | undefined): Promise<string> {
  const name = basename(new URL(url).pathname).replace(/[^A-Za-z0-9._-]/g, "_") || "download";
  const safe = name.startsWith(".") ? `download${name}` : name;
  if (output === undefined) return resolve(safe);
  if (output.endsWith("/") || output.endsWith(sep) || (await isDirectory(output))) {
    return join(resolve(output), safe);
  }
  return resolve(output);
}

/** Download `url` as a file; `"hls"` when the server says it is an HLS playlist after all. */
export async function getFile(
  url: string,
  opts: GetOptions,
  engine: Engine,
  session: Session,
): Promise<Omit<GetResult, "seconds"> | "hls"> {
  // FILE-1: a committed resource opens with `Opened{cached: true}` and uses no network.
  let cached = false;
  const unsubscribe = session.bus.subscribe(({ event: e }) => {
    if (e.domain === "file" && e.type === "Opened" && e.url === url) cached = e.cached;
  });
  let resource: Awaited<ReturnType<typeof open>>;
  try {
    resource = await open(url, {
      downloader: engine.downloader,
      store: engine.store,
      bus: session.bus,
      clock: session.clock,
      playing: true,
    });
  } catch (err) {
    unsubscribe();
    if (err instanceof UnsupportedResourceError && /HLS/i.test(err.message)) return "hls";
    throw err;
  }
  const out = await fileOutput(url, opts.output);
  const part = `${out}.part`;
  try {
    const onAbort = () => void resource.close();
    session.signal.addEventListener("abort", onAbort, { once: true });
    try {
      await pipeline(resource.nodeReadable({ start: 0 }), createWriteStream(part), {
        signal: session.signal,
      });
    } finally {
      session.signal.removeEventListener("abort", onAbort);
    }
    await rename(part, out);
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  } finally {
    unsubscribe();
    await resource.close();
  }
  const bytes = resource.length ?? 0;
  return { url, kind: "file", output: out, play: out, bytes, networkBytes: cached ? 0 : bytes };
}
