/**
 * The demo's local sample HLS server (CLI-4): a multi-variant FLAC stream generated in code
 * (a 440 Hz tone; the variants differ in sample rate, so in bit rate), served on loopback
 * with a per-response pace, so progress and ABR decisions are visible. No network, no ffmpeg.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type FlacVariant, flacBitrate, flacSegments } from "./flac.js";

export interface SampleStreamOptions {
  /** The variants (channels x bits per sample at `rate`). */
  variants?: readonly FlacVariant[];
  /** Sample rate shared by every variant. */
  rate?: number;
  segments?: number;
  segmentSeconds?: number;
  /** Pace of each response body in bytes per second (0 = unpaced). */
  bytesPerSecond?: number;
  /** A congested start: for this many ms after the first request, bodies go at `slowBytesPerSecond`. */
  slowStartMs?: number;
  slowBytesPerSecond?: number;
}

export interface SampleServer {
  /** URL of the master playlist. */
  url: string;
  variants: number;
  /** Bit rate of each variant (bit/s). */
  bitrates: number[];
  /** Seconds of audio. */
  duration: number;
  close(): Promise<void>;
}

const DEFAULTS = {
  // 128 / 256 / 384 / 512 kbit/s at 16 kHz.
  variants: [
    { channels: 1, bits: 8 },
    { channels: 1, bits: 16 },
    { channels: 2, bits: 12 },
    { channels: 2, bits: 16 },
  ] as readonly FlacVariant[],
  rate: 16000,
  segments: 15,
  segmentSeconds: 2,
  bytesPerSecond: 400_000,
  slowStartMs: 0,
  slowBytesPerSecond: 40_000,
};

interface File {
  body: Uint8Array;
  type: string;
}

function buildFiles(o: Required<SampleStreamOptions>): Map<string, File> {
  const files = new Map<string, File>();
  const text = (s: string): File => ({
    body: new TextEncoder().encode(s),
    type: "application/vnd.apple.mpegurl",
  });
  let master = "#EXTM3U\n#EXT-X-VERSION:3\n";
  o.variants.forEach((variant, v) => {
    const segs = flacSegments(o.rate, variant, o.segments, o.segmentSeconds, 440);
    let media = `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:${Math.ceil(o.segmentSeconds)}\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n`;
    segs.forEach((body, i) => {
      const name = `seg${String(i).padStart(3, "0")}.flac`;
      files.set(`/demo/v${v}/${name}`, { body, type: "audio/flac" });
      media += `#EXTINF:${o.segmentSeconds.toFixed(3)},\n${name}\n`;
    });
    files.set(`/demo/v${v}/index.m3u8`, text(`${media}#EXT-X-ENDLIST\n`));
    master += `#EXT-X-STREAM-INF:BANDWIDTH=${flacBitrate(o.rate, variant)},CODECS="fLaC"\nv${v}/index.m3u8\n`;
  });
  files.set("/demo/master.m3u8", text(master));
  return files;
}

/** Write `body` at `rate()` bytes per second in ~50 ms slices; stops if the client goes away. */
function paced(
  res: ServerResponse,
  body: Uint8Array,
  rate: () => number,
  timers: Set<NodeJS.Timeout>,
): void {
  if (rate() <= 0) {
    res.end(body);
    return;
  }
  let off = 0;
  const step = () => {
    if (res.destroyed) return;
    const end = Math.min(body.length, off + Math.max(1, Math.round(rate() / 20)));
    res.write(body.subarray(off, end));
    off = end;
    if (off >= body.length) {
      res.end();
      return;
    }
    const t = setTimeout(() => {
      timers.delete(t);
      step();
    }, 50);
    timers.add(t);
  };
  step();
}

/** Start the sample server on 127.0.0.1 (a free port). */
export async function startSampleServer(options: SampleStreamOptions = {}): Promise<SampleServer> {
  const o: Required<SampleStreamOptions> = { ...DEFAULTS, ...options };
  const files = buildFiles(o);
  const timers = new Set<NodeJS.Timeout>();
  let firstRequest: number | undefined;
  const rate = () =>
    firstRequest !== undefined && Date.now() - firstRequest < o.slowStartMs
      ? o.slowBytesPerSecond
      : o.bytesPerSecond;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = files.get(path);
    if (!file || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    firstRequest ??= Date.now();
    res.writeHead(200, { "content-type": file.type, "content-length": String(file.body.length) });
    if (req.method === "HEAD") res.end();
    else paced(res, file.body, rate, timers);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/demo/master.m3u8`,
    variants: o.variants.length,
    bitrates: o.variants.map((v) => flacBitrate(o.rate, v)),
    duration: o.segments * o.segmentSeconds,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
