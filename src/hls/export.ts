/**
 * Export (HLS-13 [+]): a self-contained local copy (a rewritten VOD playlist pointing at
 * local files, no keys, segments decrypted) and/or one concatenated media file
 * (init + segments) of loaded segments. File names are generated here, never taken from
 * URLs, so nothing can be written outside the chosen directory.
 */
import { type FileHandle, mkdir, open, rm, writeFile } from "node:fs/promises";
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
  const x = await HlsExporter.open(peer, options);
  try {
    for (const e of entries) x.push(e);
    return await x.finish();
  } catch (err) {
    await x.abort();
    throw err;
  }
}

interface Item {
  e: PlanEntry;
  seg: MediaSegment;
}

/**
 * An export written while the download runs: `push` loaded entries in path order as the
 * in-order prefix completes (a whole-stream download then ends with only its last segments to
 * write, not all of them); `finish` writes the playlist. Writes are serial, and the bytes of
 * the next queued segment are read while the current one is written. `abort` closes and
 * removes what was written (a failed download leaves no partial output behind).
 */
export class HlsExporter {
  readonly #peer: HlsPeer;
  readonly #o: ExportOptions;
  readonly #out: FileHandle | null;
  readonly #queue: Item[] = [];
  /** The read of `#queue[0]` started ahead. */
  #ahead: { item: Item; bytes: Promise<Uint8Array> } | null = null;
  #drain: Promise<void> | null = null;
  #error: unknown = null;
  readonly #written: string[] = [];
  readonly #body: string[] = [];
  #segments = 0;
  #bytes = 0;
  #prevInit = "";
  #prevVariant = -1;
  #inits = 0;
  #maxDur = 1;
  #closed = false;

  private constructor(peer: HlsPeer, o: ExportOptions, out: FileHandle | null) {
    this.#peer = peer;
    this.#o = o;
    this.#out = out;
  }

  static async open(peer: HlsPeer, options: ExportOptions): Promise<HlsExporter> {
    if (!options.dir && !options.file) {
      throw new PlectrumError("HLS_EXPORT", "export needs a directory, a file, or both");
    }
    if (options.dir) await mkdir(options.dir, { recursive: true });
    const out = options.file ? await open(options.file, "w") : null;
    return new HlsExporter(peer, options, out);
  }

  /** Queue the next loaded entry of the path. */
  push(e: PlanEntry): void {
    const seg = this.#peer.segmentOf(e);
    if (!seg) {
      throw new PlectrumError("HLS_EXPORT", `no segment ${e.sequence} in variant ${e.variant}`);
    }
    if (this.#closed) throw new PlectrumError("HLS_EXPORT", "export already finished");
    if (this.#error !== null) return; // failed: `finish` reports it
    this.#queue.push({ e, seg });
    this.#drain ??= this.#run().then(
      () => {
        this.#drain = null;
      },
      (err: unknown) => {
        this.#drain = null;
        this.#error ??= err;
        this.#queue.length = 0;
      },
    );
  }

  async #run(): Promise<void> {
    for (;;) {
      const item = this.#queue.shift();
      if (!item) return;
      await this.#write(item);
    }
  }

  #read(item: Item): Promise<Uint8Array> {
    const ahead = this.#ahead;
    this.#ahead = null;
    const bytes = ahead?.item === item ? ahead.bytes : this.#peer.bytesOf(item.e);
    const next = this.#queue[0];
    if (next) {
      const p = this.#peer.bytesOf(next.e);
      p.catch(() => {}); // surfaced where it is awaited; never an unhandled rejection
      this.#ahead = { item: next, bytes: p };
    }
    return bytes;
  }

  async #write(item: Item): Promise<void> {
    const { e, seg } = item;
    const i = this.#segments;
    const o = this.#o;
    if (i > 0 && (seg.discontinuity || e.variant !== this.#prevVariant)) {
      this.#body.push("#EXT-X-DISCONTINUITY");
    }
    this.#prevVariant = e.variant;
    if (seg.init) {
      const id = `${e.variant} ${initKey(seg.init)}`;
      if (id !== this.#prevInit) {
        this.#prevInit = id;
        const init = await this.#peer.bytesOf({ variant: e.variant, init: seg.init });
        const name = `init-${this.#inits++}${extOf(seg.init.url, ".mp4")}`;
        if (o.dir) await this.#writeFile(name, init);
        await this.#out?.write(init);
        this.#bytes += init.byteLength;
        this.#body.push(`#EXT-X-MAP:URI="${name}"`);
      }
    }
    const data = await this.#read(item);
    const name = `seg-${String(i).padStart(5, "0")}${extOf(seg.url, ".ts")}`;
    if (o.dir) await this.#writeFile(name, data);
    await this.#out?.write(data);
    this.#bytes += data.byteLength;
    this.#maxDur = Math.max(this.#maxDur, Math.ceil(seg.duration));
    this.#body.push(`#EXTINF:${seg.duration.toFixed(6)},`, name);
    this.#segments++;
  }

  async #writeFile(name: string, data: Uint8Array): Promise<void> {
    const path = join(this.#o.dir!, name);
    this.#written.push(path);
    await writeFile(path, data);
  }

  /** Wait for every queued entry, write the playlist, close; the result and `Exported`. */
  async finish(): Promise<ExportResult> {
    this.#closed = true;
    while (this.#drain) await this.#drain;
    if (this.#error !== null) throw this.#error;
    await this.#out?.close();
    const o = this.#o;
    let playlistPath: string | null = null;
    if (o.dir) {
      const lines = [
        "#EXTM3U",
        `#EXT-X-VERSION:${this.#inits > 0 ? 7 : 3}`,
        `#EXT-X-TARGETDURATION:${this.#maxDur}`,
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        ...this.#body,
        "#EXT-X-ENDLIST",
      ];
      playlistPath = join(o.dir, "index.m3u8");
      await writeFile(playlistPath, `${lines.join("\n")}\n`);
    }
    const files = this.#written.length + (o.dir ? 1 : 0) + (o.file ? 1 : 0);
    const result: ExportResult = {
      playlistPath,
      filePath: o.file ?? null,
      files,
      bytes: this.#bytes,
      segments: this.#segments,
    };
    this.#peer.bus.publish({
      domain: "hls",
      type: "Exported",
      path: o.dir ?? o.file ?? "",
      files,
      bytes: this.#bytes,
    });
    return result;
  }

  /** Stop, close and remove what was written. Idempotent; never throws. */
  async abort(): Promise<void> {
    this.#closed = true;
    this.#queue.length = 0;
    while (this.#drain) await this.#drain;
    await this.#out?.close().catch(() => {});
    const paths = [...this.#written.splice(0), ...(this.#o.file ? [this.#o.file] : [])];
    await Promise.all(paths.map((p) => rm(p, { force: true }).catch(() => {})));
  }
}
