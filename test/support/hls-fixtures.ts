/**
 * HLS fixtures generated in code: deterministic segment bytes, multi-variant masters, init
 * sections, single-file byte-range variants, our own AES-128 encryption (explicit and
 * media-sequence IVs) and a sliding-window live playlist driven by a clock.
 *
 * `makeHlsFixture(options)` returns a `Map<path, {body, contentType}>` (plus metadata) that
 * any server can serve as-is; the CLI demo server uses it too.
 */
import { createCipheriv } from "node:crypto";

export interface FixtureFile {
  body: Uint8Array;
  contentType: string;
}

export type Encryption = "none" | "explicit-iv" | "sequence-iv";

export interface HlsFixtureOptions {
  /** Path prefix of every file; default "/hls". */
  prefix?: string;
  /** Variant bandwidths in bit/s; default the audio ladder 64/128/256/320 kbit/s. */
  bandwidths?: readonly number[];
  /** Segments per variant; default 6. */
  segments?: number;
  /** EXTINF seconds; default 4. */
  segmentDuration?: number;
  /** Plain bytes of one segment of variant v; default bandwidth x duration / 8 / 16 (small). */
  segmentSize?: (variant: number, index: number) => number;
  /** EXT-X-MEDIA-SEQUENCE; default 0. */
  mediaSequence?: number;
  /** Add an EXT-X-MAP init section per variant. */
  init?: boolean;
  /** Single-file variants addressed with EXT-X-BYTERANGE (mix of explicit and implicit offsets). */
  byteRange?: boolean;
  encryption?: Encryption;
  /** Encrypt the init section too (default false, like ffmpeg). */
  encryptInit?: boolean;
  /** Put EXT-X-DISCONTINUITY before this segment index. */
  discontinuityAt?: number;
  /** Add an I-frame playlist and an audio rendition group to the master (parsing tests). */
  extras?: boolean;
  /** Serve a single media playlist (variant 0) with no master. */
  masterless?: boolean;
}

export const M3U8 = "application/vnd.apple.mpegurl";

/** xorshift32 stream seeded from (variant, sequence): deterministic "media" bytes. */
export function segmentPlain(variant: number, sequence: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const tag = new TextEncoder().encode(`V${variant}S${sequence}|`);
  out.set(tag.subarray(0, size));
  let x = (0x9e3779b9 ^ (variant * 0x85ebca6b) ^ (sequence * 0xc2b2ae35)) >>> 0 || 1;
  for (let i = tag.length; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A small init section that starts with an `ftyp` box. */
export function initPlain(variant: number): Uint8Array {
  const body = segmentPlain(1000 + variant, 0, 64);
  body.set([0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70], 0);
  return body;
}

export const FIXTURE_KEY = Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff);

export function explicitIv(variant: number): Uint8Array {
  return Uint8Array.from({ length: 16 }, (_, i) => (i * 7 + variant * 13 + 1) & 0xff);
}

export function sequenceIvOf(sequence: number): Uint8Array {
  const iv = new Uint8Array(16);
  new DataView(iv.buffer).setBigUint64(8, BigInt(sequence));
  return iv;
}

export function encrypt(key: Uint8Array, iv: Uint8Array, plain: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-128-cbc", key, iv);
  return new Uint8Array(Buffer.concat([c.update(plain), c.final()]));
}

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export class HlsFixture extends Map<string, FixtureFile> {
  /** Path of the playlist to open (master, or the media playlist when masterless). */
  entryPath = "";
  variantPaths: string[] = [];
  keyPath = "";
  /** Plain init + segments of each variant, what a decrypted concatenation must equal. */
  expected: Uint8Array[] = [];
  /** Plain bytes of each segment, per variant. */
  segmentsPlain: Uint8Array[][] = [];
  /** Path of every segment file (or the single file for byte-range variants), per variant. */
  segmentPaths: string[][] = [];

  text(path: string, body: string): void {
    this.set(path, { body: new TextEncoder().encode(body), contentType: M3U8 });
  }
  bytes(path: string, body: Uint8Array, contentType = "video/mp2t"): void {
    this.set(path, { body, contentType });
  }
}

export function makeHlsFixture(options: HlsFixtureOptions = {}): HlsFixture {
  const prefix = options.prefix ?? "/hls";
  const bandwidths = options.bandwidths ?? [64_000, 128_000, 256_000, 320_000];
  const count = options.segments ?? 6;
  const dur = options.segmentDuration ?? 4;
  const seq0 = options.mediaSequence ?? 0;
  const enc = options.encryption ?? "none";
  const size =
    options.segmentSize ??
    ((v: number) => Math.max(256, Math.round(((bandwidths[v] ?? 64_000) * dur) / 8 / 16)));
  const fx = new HlsFixture();
  fx.keyPath = `${prefix}/key.bin`;
  if (enc !== "none") fx.bytes(fx.keyPath, FIXTURE_KEY, "application/octet-stream");

  bandwidths.forEach((_, v) => {
    const dir = `${prefix}/v${v}`;
    const lines = ["#EXTM3U", "#EXT-X-VERSION:7", `#EXT-X-TARGETDURATION:${Math.ceil(dur)}`];
    lines.push(`#EXT-X-MEDIA-SEQUENCE:${seq0}`, "#EXT-X-PLAYLIST-TYPE:VOD");
    const keyLine = (iv: Uint8Array | null) =>
      `#EXT-X-KEY:METHOD=AES-128,URI="../key.bin"${iv ? `,IV=${hex(iv)}` : ""}`;
    if (enc !== "none") lines.push(keyLine(enc === "explicit-iv" ? explicitIv(v) : null));
    const plainInit = options.init ? initPlain(v) : null;
    let wireInit: Uint8Array | null = null;
    if (plainInit) {
      wireInit =
        options.encryptInit && enc !== "none"
          ? encrypt(
              FIXTURE_KEY,
              enc === "explicit-iv" ? explicitIv(v) : sequenceIvOf(seq0),
              plainInit,
            )
          : plainInit;
    }
    const plains: Uint8Array[] = [];
    const wires: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const seq = seq0 + i;
      const plain = segmentPlain(v, seq, size(v, i));
      plains.push(plain);
      const iv = enc === "explicit-iv" ? explicitIv(v) : sequenceIvOf(seq);
      wires.push(enc === "none" ? plain : encrypt(FIXTURE_KEY, iv, plain));
    }
    fx.segmentsPlain.push(plains);
    fx.expected.push(concat(plainInit ? [plainInit, ...plains] : plains));
    if (options.byteRange) {
      const file = `${dir}/all.bin`;
      const all = concat(wireInit ? [wireInit, ...wires] : wires);
      fx.bytes(file, all);
      fx.segmentPaths.push([file]);
      let off = 0;
      if (wireInit) {
        lines.push(`#EXT-X-MAP:URI="all.bin",BYTERANGE="${wireInit.length}@0"`);
        off = wireInit.length;
      }
      wires.forEach((w, i) => {
        if (i === options.discontinuityAt) lines.push("#EXT-X-DISCONTINUITY");
        lines.push(`#EXTINF:${dur.toFixed(3)},`);
        // Explicit offsets on even segments, implicit (previous end) on odd ones.
        lines.push(
          i % 2 === 0 ? `#EXT-X-BYTERANGE:${w.length}@${off}` : `#EXT-X-BYTERANGE:${w.length}`,
        );
        lines.push("all.bin");
        off += w.length;
      });
    } else {
      if (wireInit) {
        fx.bytes(`${dir}/init.mp4`, wireInit, "video/mp4");
        lines.push(`#EXT-X-MAP:URI="init.mp4"`);
      }
      const paths: string[] = [];
      wires.forEach((w, i) => {
        const name = `seg${seq0 + i}.ts`;
        fx.bytes(`${dir}/${name}`, w);
        paths.push(`${dir}/${name}`);
        if (i === options.discontinuityAt) lines.push("#EXT-X-DISCONTINUITY");
        lines.push(`#EXTINF:${dur.toFixed(3)},`, name);
      });
      fx.segmentPaths.push(paths);
    }
    lines.push("#EXT-X-ENDLIST");
    fx.text(`${dir}/index.m3u8`, `${lines.join("\n")}\n`);
    fx.variantPaths.push(`${dir}/index.m3u8`);
  });

  const master = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"];
  if (options.extras) {
    master.push(
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="v0/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="Deutsch",LANGUAGE="de",DEFAULT=NO,AUTOSELECT=YES,URI="v1/index.m3u8"',
      '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=40000,CODECS="avc1.4d401f",URI="iframes.m3u8"',
    );
  }
  bandwidths.forEach((bw, v) => {
    const audio = options.extras ? ',AUDIO="aud"' : "";
    master.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${bw},AVERAGE-BANDWIDTH=${Math.round(bw * 0.9)},CODECS="mp4a.40.2"${audio}`,
      `v${v}/index.m3u8`,
    );
  });
  fx.text(`${prefix}/master.m3u8`, `${master.join("\n")}\n`);
  fx.entryPath = options.masterless ? (fx.variantPaths[0] ?? "") : `${prefix}/master.m3u8`;
  return fx;
}

export interface LiveFixtureOptions {
  prefix?: string;
  /** Segments visible in the window; default 4. */
  window?: number;
  /** Segments produced in total before EXT-X-ENDLIST; default 10. */
  total?: number;
  /** Seconds; default 2. */
  segmentDuration?: number;
  /** Segments already produced at time 0; default = window. */
  initial?: number;
  segmentSize?: number;
}

/**
 * A sliding-window live stream on a clock: at time `t` ms, `initial + floor(t / duration)`
 * segments exist (capped at `total`); the playlist lists the last `window` of them and gets
 * `EXT-X-ENDLIST` once all are produced. Segment files stay servable after leaving the window.
 */
export class LiveHlsFixture {
  readonly prefix: string;
  readonly window: number;
  readonly total: number;
  readonly duration: number;
  readonly initial: number;
  readonly segments: Uint8Array[];

  constructor(options: LiveFixtureOptions = {}) {
    this.prefix = options.prefix ?? "/live";
    this.window = options.window ?? 4;
    this.total = options.total ?? 10;
    this.duration = options.segmentDuration ?? 2;
    this.initial = options.initial ?? this.window;
    const size = options.segmentSize ?? 2048;
    this.segments = Array.from({ length: this.total }, (_, i) => segmentPlain(7, i, size));
  }

  get playlistPath(): string {
    return `${this.prefix}/live.m3u8`;
  }

  segmentPath(sequence: number): string {
    return `${this.prefix}/s${sequence}.ts`;
  }

  produced(nowMs: number): number {
    return Math.min(this.total, this.initial + Math.floor(nowMs / (this.duration * 1000)));
  }

  playlist(nowMs: number): string {
    const n = this.produced(nowMs);
    const first = Math.max(0, n - this.window);
    const lines = [
      "#EXTM3U",
      "#EXT-X-VERSION:3",
      `#EXT-X-TARGETDURATION:${Math.ceil(this.duration)}`,
    ];
    lines.push(`#EXT-X-MEDIA-SEQUENCE:${first}`);
    for (let s = first; s < n; s++) {
      lines.push(`#EXTINF:${this.duration.toFixed(3)},`, `s${s}.ts`);
    }
    if (n >= this.total) lines.push("#EXT-X-ENDLIST");
    return `${lines.join("\n")}\n`;
  }

  /** Every file as it is at `nowMs` (the playlist changes; segments do not). */
  files(nowMs: number): Map<string, FixtureFile> {
    const m = new Map<string, FixtureFile>();
    m.set(this.playlistPath, {
      body: new TextEncoder().encode(this.playlist(nowMs)),
      contentType: M3U8,
    });
    this.segments.forEach((body, s) => {
      m.set(this.segmentPath(s), { body, contentType: "video/mp2t" });
    });
    return m;
  }

  /** Plain bytes of the whole stream in order. */
  get expected(): Uint8Array {
    return concat(this.segments);
  }
}
