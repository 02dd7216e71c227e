/**
 * Export (HLS-13 [+]): a self-contained local copy (a rewritten VOD playlist pointing at
 * local files, no keys, segments decrypted) and/or one concatenated media file
 * (init + segments) of loaded segments. File names are generated here, never taken from
 * URLs, so nothing can be written outside the chosen directory.
 */
import { mkdir, open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PlectrumError } from "../core/errors.js";
import type { MediaSegment } from "./model.js";
import type { HlsPeer, PlanEntry } from "./peer.js";
import { initKey } from "./slots.js";

export interface ExportOptions {
  /** Write `index.m3u8` + segment files here. */
  dir?: string;
  /** Write init + segments as one file here. */
  file?: string;
}

export interface ExportResult {
  playlistPath: string | null;
  filePath: string | null;
  /** Files written (playlist, init sections, segments, concatenated file). */
  files: number;
  /** Media bytes written per output (segment + init bytes). */
  bytes: number;
  segments: number;
}

const KNOWN_EXT = new Set([
  ".ts",
  ".aac",
  ".m4s",
  ".mp4",
  ".m4a",
  ".mp3",
  ".ac3",
  ".ec3",
  ".vtt",
  ".webm",
]);

function extOf(url: string, fallback: string): string {
  const path = new URL(url).pathname;
  const dot = path.lastIndexOf(".");
  const ext = dot >= 0 ? path.slice(dot).toLowerCase() : "";
  return KNOWN_EXT.has(ext) ? ext : fallback;
}

/** Every segment of `variant`, in order: the entries to export "a chosen variant". */
export function variantEntries(peer: HlsPeer, variant: number): PlanEntry[] {
  const p = peer.playlist(variant);
  if (!p) throw new PlectrumError("HLS_VARIANT", `variant ${variant} does not exist`);
  return p.segments.map((s) => ({ variant, sequence: s.sequence }));
}

/** Export `entries` (all loaded) of `peer`. */
export async function exportHls(
  peer: HlsPeer,
  entries: readonly PlanEntry[],
  options: ExportOptions,
): Promise<ExportResult> {
  if (!options.dir && !options.file) {
    throw new PlectrumError("HLS_EXPORT", "export needs a directory, a file, or both");
  }
  const segs: { e: PlanEntry; seg: MediaSegment }[] = [];
  for (const e of entries) {
    const seg = peer.segmentOf(e);
    if (!seg)
      throw new PlectrumError("HLS_EXPORT", `no segment ${e.sequence} in variant ${e.variant}`);
    segs.push({ e, seg });
  }
  if (options.dir) await mkdir(options.dir, { recursive: true });
  const out = options.file ? await open(options.file, "w") : null;
  const lines = ["#EXTM3U"];
  const body: string[] = [];
  let files = 0;
  let bytes = 0;
  let prevInit = "";
  let prevVariant = -1;
  let inits = 0;
  let maxDur = 1;
  // One segment read ahead: the next segment's bytes load while this one is written.
  const readAhead = (i: number): Promise<Uint8Array> | undefined => {
    const next = segs[i];
    if (!next) return undefined;
    const p = peer.bytesOf(next.e);
    p.catch(() => {}); // surfaced where it is awaited; never an unhandled rejection
    return p;
  };
  let pending = readAhead(0);
  try {
    for (const [i, { e, seg }] of segs.entries()) {
      if (i > 0 && (seg.discontinuity || e.variant !== prevVariant))
        body.push("#EXT-X-DISCONTINUITY");
      prevVariant = e.variant;
      if (seg.init) {
        const id = `${e.variant} ${initKey(seg.init)}`;
        if (id !== prevInit) {
          prevInit = id;
          const init = await peer.bytesOf({ variant: e.variant, init: seg.init });
          const name = `init-${inits++}${extOf(seg.init.url, ".mp4")}`;
          if (options.dir) {
            await writeFile(join(options.dir, name), init);
            files++;
          }
          await out?.write(init);
          bytes += init.byteLength;
          body.push(`#EXT-X-MAP:URI="${name}"`);
        }
      }
      const data = await (pending ?? peer.bytesOf(e));
      pending = readAhead(i + 1);
      const name = `seg-${String(i).padStart(5, "0")}${extOf(seg.url, ".ts")}`;
      if (options.dir) {
        await writeFile(join(options.dir, name), data);
        files++;
      }
      await out?.write(data);
      bytes += data.byteLength;
      maxDur = Math.max(maxDur, Math.ceil(seg.duration));
      body.push(`#EXTINF:${seg.duration.toFixed(6)},`, name);
    }
  } finally {
    await out?.close();
  }
  let playlistPath: string | null = null;
  if (options.dir) {
    lines.push(
      `#EXT-X-VERSION:${inits > 0 ? 7 : 3}`,
      `#EXT-X-TARGETDURATION:${maxDur}`,
      "#EXT-X-MEDIA-SEQUENCE:0",
      "#EXT-X-PLAYLIST-TYPE:VOD",
      ...body,
      "#EXT-X-ENDLIST",
    );
    playlistPath = join(options.dir, "index.m3u8");
    await writeFile(playlistPath, `${lines.join("\n")}\n`);
    files++;
  }
  if (options.file) files++;
  const result: ExportResult = {
    playlistPath,
    filePath: options.file ?? null,
    files,
    bytes,
    segments: segs.length,
  };
  peer.bus.publish({
    domain: "hls",
    type: "Exported",
    path: options.dir ?? options.file ?? "",
    files,
    bytes,
  });
  return result;
}
