/**
 * Whole-stream download (CLI-1, HLS-13): open the stream, fetch every segment of the
 * chosen (or ABR-driven) path to the end, and export a playable local copy and/or one
 * concatenated file. The export is written while the download runs, as the in-order prefix
 * of the path completes, so only the last segments remain to write at the end. Live streams
 * are followed until `EXT-X-ENDLIST`.
 */
import type { Clock } from "../core/clock.js";
import type { EventBus } from "../events/bus.js";
import type { Aes128Cbc } from "./aes.js";
import type { HlsAbr, HlsDownloader, HlsStore } from "./deps.js";
import { type ExportResult, HlsExporter } from "./export.js";
import { HlsPeer, type HlsPeerOptions } from "./peer.js";

export interface HlsProgress {
  segmentsDone: number;
  /** Segments known so far on the current path (grows for live streams). */
  segmentsTotal: number;
  /** Decrypted media bytes loaded so far (cached ones included). */
  bytes: number;
  variant: number;
}

export interface DownloadHlsOptions {
  downloader: HlsDownloader;
  store?: HlsStore | null;
  /** Pass the downloader's ABR controller to let ABR pick (`--abr auto`). */
  abr?: HlsAbr;
  /** Fixed variant index. */
  variant?: number;
  /** Only variants at or below this bandwidth (bit/s). */
  maxBitrate?: number;
  /** Directory for a playable copy (`index.m3u8` + files). */
  outDir?: string;
  /** One concatenated media file (init + segments). */
  outFile?: string;
  onProgress?: (p: HlsProgress) => void;
  /** How far ahead of the download head a variant choice is fixed (HLS-6; 2 MiB). */
  lookAheadBytes?: number;
  bus?: EventBus;
  clock?: Clock;
  aes?: Aes128Cbc;
  signal?: AbortSignal;
}

export interface DownloadHlsResult extends ExportResult {
  /** Variant of each exported segment, in order (several when ABR switched). */
  variants: number[];
  /** Bytes that came over the network (0 for a fully cached stream). */
  networkBytes: number;
}

export async function downloadHls(
  url: string,
  options: DownloadHlsOptions,
): Promise<DownloadHlsResult> {
  const exporting = Boolean(options.outDir || options.outFile);
  // The export takes every loaded segment in order: hand the bytes over instead of reading
  // them back from the store.
  const po: HlsPeerOptions = {
    downloader: options.downloader,
    autoAdvance: true,
    handOver: exporting,
  };
  if (options.lookAheadBytes !== undefined) po.lookAheadBytes = options.lookAheadBytes;
  if (options.store !== undefined) po.store = options.store;
  if (options.abr) po.abr = options.abr;
  if (options.variant !== undefined) po.variant = options.variant;
  if (options.maxBitrate !== undefined) po.maxBitrate = options.maxBitrate;
  if (options.bus) po.bus = options.bus;
  if (options.clock) po.clock = options.clock;
  if (options.aes) po.aes = options.aes;
  const peer = new HlsPeer(url, po);
  const onAbort = () => peer.dispose();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let done = 0;
  let bytes = 0;
  const report = () => {
    const total = peer.playlist(peer.currentVariant)?.segments.length ?? 0;
    options.onProgress?.({
      segmentsDone: done,
      segmentsTotal: Math.max(total, done),
      bytes,
      variant: peer.currentVariant,
    });
  };
  const exportOptions: { dir?: string; file?: string } = {};
  if (options.outDir) exportOptions.dir = options.outDir;
  if (options.outFile) exportOptions.file = options.outFile;
  let exporter: HlsExporter | null = null;
  let exported = 0;
  const exportPassed = () => {
    if (!exporter) return;
    for (const e of peer.passedSince(exported)) {
      exporter.push(e);
      exported++;
    }
  };
  const unsubscribe = peer.bus.subscribe((env) => {
    const e = env.event;
    if (e.domain === "hls" && e.type === "SegmentLoaded") {
      done++;
      bytes += e.bytes;
      report();
      exportPassed();
    }
  });
  try {
    if (exporting) exporter = await HlsExporter.open(peer, exportOptions);
    await peer.start();
    await peer.whenComplete();
    await peer.settled();
    const entries = peer.path();
    for (const e of entries.slice(exported)) exporter?.push(e);
    const result = exporter
      ? await exporter.finish()
      : { playlistPath: null, filePath: null, files: 0, bytes, segments: entries.length };
    exporter = null;
    return { ...result, variants: entries.map((e) => e.variant), networkBytes: peer.networkBytes };
  } finally {
    unsubscribe();
    options.signal?.removeEventListener("abort", onAbort);
    peer.dispose();
    await exporter?.abort();
  }
}
