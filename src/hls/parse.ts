/**
 * Playlist parsing (HLS-1..3): `hls-parser` does the grammar, this file turns its output
 * into our typed model and is the only place that touches it. Every failure is a
 * `PlaylistError`; the parser's console output is silenced.
 *
 * Hostile input (REL-3): the byte size and the number of URI lines are checked before the
 * parser allocates anything per segment, so memory is bounded by the limits.
 */
import { getOptions, parse as hlsParse, setOptions } from "hls-parser";
import type * as hp from "hls-parser/types.js";
import { sequenceIv } from "./aes.js";
import { PlaylistError } from "./errors.js";
import type {
  AudioRendition,
  ByteSpan,
  InitSection,
  MasterPlaylist,
  MediaPlaylist,
  MediaSegment,
  Playlist,
  SegmentKey,
  UnsupportedKey,
  Variant,
} from "./model.js";

export interface PlaylistLimits {
  /** HLS-1: 16 MiB. */
  maxPlaylistBytes: number;
  /** HLS-1: 200 000. */
  maxSegments: number;
}

export const DEFAULT_PLAYLIST_LIMITS: PlaylistLimits = {
  maxPlaylistBytes: 16 * 1024 * 1024,
  maxSegments: 200_000,
};

/** Line numbers the checks below report against. */
interface Prescan {
  text: string;
  /** 1-based line of every URI line, in order. */
  uriLines: number[];
}

function prescan(url: string, input: string | Uint8Array, limits: PlaylistLimits): Prescan {
  const size = typeof input === "string" ? Buffer.byteLength(input) : input.byteLength;
  if (size > limits.maxPlaylistBytes) {
    throw new PlaylistError(
      url,
      null,
      `playlist is ${size} bytes, over the ${limits.maxPlaylistBytes}-byte limit`,
    );
  }
  let text = typeof input === "string" ? input : new TextDecoder("utf-8").decode(input);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/);
  const first = lines.findIndex((l) => l.trim() !== "");
  const head = first < 0 ? "" : (lines[first] ?? "").trim();
  if (head !== "#EXTM3U") {
    const what = /^<(!doctype|html|\?xml|head|body)/i.test(head)
      ? "an HTML/XML document, not a playlist"
      : "the first line must be #EXTM3U";
    throw new PlaylistError(url, first < 0 ? 1 : first + 1, what);
  }
  const uriLines: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = (lines[i] ?? "").trim();
    if (l === "" || l.startsWith("#")) continue;
    uriLines.push(i + 1);
    if (uriLines.length > limits.maxSegments) {
      throw new PlaylistError(url, i + 1, `more than ${limits.maxSegments} entries`);
    }
  }
  return { text, uriLines };
}

/** Runs the parser with its global options set for us and restored afterwards. */
function runParser(text: string, strict: boolean): hp.MasterPlaylist | hp.MediaPlaylist {
  const saved = getOptions();
  setOptions({ ...saved, strictMode: strict, silent: true });
  try {
    return hlsParse(text) as hp.MasterPlaylist | hp.MediaPlaylist;
  } finally {
    setOptions(saved);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Strict-mode complaints about rules we do not depend on. A playlist breaking only these is
 * kept (real packagers break them routinely) with the complaint in `warnings`; any other
 * strict failure is a `PlaylistError` carrying the parser's reason.
 */
const BENIGN = [
  /EXTINF duration, when rounded/,
  /EXT-X-VERSION needs to be/,
  /more than one EXT-X-VERSION/,
  /SCORE/,
  /DATERANGE|PROGRAM-DATE-TIME/,
  /CLOSED-CAPTIONS/,
  /EXT-X-INDEPENDENT-SEGMENTS tag MUST NOT appear more than once/,
  /EXT-X-START/,
  /SESSION-DATA|SESSION-KEY/,
  /HOLD-BACK|PART-TARGET|PART tags|PRELOAD-HINT|Skip Boundary|RENDITION-REPORT|CAN-BLOCK-RELOAD/,
  /MUST match the value of the GROUP-ID/,
  /EXT-X-MEDIA TYPE attribute is REQUIRED/,
  /VIDEO-RANGE/,
];

/**
 * Parse a playlist fetched from `url` (the final URL after redirects). `hls-parser` runs in
 * strict mode; see `BENIGN` for what is tolerated.
 */
export function parsePlaylist(
  url: string,
  input: string | Uint8Array,
  limits: PlaylistLimits = DEFAULT_PLAYLIST_LIMITS,
): Playlist {
  const base = checkedUrl(url);
  const scan = prescan(url, input, limits);
  const warnings: string[] = [];
  let parsed: hp.MasterPlaylist | hp.MediaPlaylist;
  try {
    parsed = runParser(scan.text, true);
  } catch (strictErr) {
    const reason = message(strictErr);
    if (!BENIGN.some((re) => re.test(reason))) {
      throw new PlaylistError(url, null, reason, { cause: strictErr });
    }
    warnings.push(reason);
    try {
      parsed = runParser(scan.text, false);
    } catch (err) {
      throw new PlaylistError(url, null, message(err), { cause: err });
    }
  }
  const ctx: Ctx = { url, base, uriLines: scan.uriLines, warnings };
  return parsed.isMasterPlaylist
    ? toMaster(ctx, parsed as hp.MasterPlaylist)
    : toMedia(ctx, parsed as hp.MediaPlaylist);
}

/** Parse and insist on a master playlist or a media playlist. */
export function parseMediaPlaylist(
  url: string,
  input: string | Uint8Array,
  limits?: PlaylistLimits,
): MediaPlaylist {
  const p = parsePlaylist(url, input, limits);
  if (p.kind !== "media") throw new PlaylistError(url, null, "expected a media playlist");
  return p;
}

interface Ctx {
  url: string;
  base: URL;
  uriLines: number[];
  warnings: string[];
}

function checkedUrl(url: string): URL {
  try {
    return new URL(url);
  } catch (err) {
    throw new PlaylistError(url, null, "playlist URL is not absolute", { cause: err });
  }
}

const WEB = new Set(["http:", "https:"]);

/** Resolve `uri` against the playlist URL; only same-family schemes are accepted. */
function resolve(ctx: Ctx, uri: unknown, line: number | null, what: string): string {
  if (typeof uri !== "string" || uri.trim() === "") {
    throw new PlaylistError(ctx.url, line, `${what} has no URI`);
  }
  let abs: URL;
  try {
    abs = new URL(uri.trim(), ctx.base);
  } catch (err) {
    throw new PlaylistError(ctx.url, line, `${what} URI ${JSON.stringify(uri)} is malformed`, {
      cause: err,
    });
  }
  const ok = WEB.has(ctx.base.protocol)
    ? WEB.has(abs.protocol)
    : abs.protocol === ctx.base.protocol;
  if (!ok) {
    throw new PlaylistError(ctx.url, line, `${what} URI scheme ${abs.protocol} is not allowed`);
  }
  abs.hash = "";
  return abs.href;
}

function finiteNonNegative(n: unknown): n is number {
  return typeof n === "number" && Number.isFinite(n) && n >= 0;
}

function toMaster(ctx: Ctx, p: hp.MasterPlaylist): MasterPlaylist {
  const variants: Variant[] = [];
  const audio = new Map<string, AudioRendition>();
  let uriIndex = 0;
  for (const v of p.variants) {
    if (v.isIFrameOnly) continue; // HLS-2 [+]: never an audio variant (and has no URI line)
    const line = ctx.uriLines[uriIndex++] ?? null;
    if (!finiteNonNegative(v.bandwidth) || v.bandwidth === 0) {
      throw new PlaylistError(ctx.url, line, "EXT-X-STREAM-INF needs a positive BANDWIDTH");
    }
    const index = variants.length;
    variants.push({
      index,
      url: resolve(ctx, v.uri, line, "variant"),
      bandwidth: v.bandwidth,
      averageBandwidth: finiteNonNegative(v.averageBandwidth) ? v.averageBandwidth : null,
      codecs: v.codecs ?? null,
      resolution: v.resolution ?? null,
      audioGroup: v.audio[0]?.groupId ?? null,
      name: v.resolution
        ? `${v.resolution.height}p ${Math.round(v.bandwidth / 1000)}k`
        : `${Math.round(v.bandwidth / 1000)}k`,
    });
    for (const r of v.audio) {
      const key = `${r.groupId}\u0000${r.name}`;
      if (audio.has(key)) continue;
      audio.set(key, {
        groupId: r.groupId,
        name: r.name,
        language: r.language ?? null,
        url: r.uri === undefined ? null : resolve(ctx, r.uri, null, "audio rendition"),
        isDefault: r.isDefault,
        autoselect: r.autoselect,
        channels: r.channels ?? null,
      });
    }
  }
  if (variants.length === 0) {
    throw new PlaylistError(ctx.url, null, "master playlist has no playable variant");
  }
  return {
    kind: "master",
    url: ctx.url,
    variants,
    audio: [...audio.values()],
    warnings: ctx.warnings,
  };
}

function span(ctx: Ctx, r: hp.Byterange, line: number | null, fallbackOffset: number): ByteSpan {
  const offset = r.offset === -1 || r.offset === undefined ? fallbackOffset : r.offset;
  if (!Number.isSafeInteger(r.length) || r.length <= 0) {
    throw new PlaylistError(
      ctx.url,
      line,
      `byte range length ${r.length} is not a positive integer`,
    );
  }
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(offset + r.length)) {
    throw new PlaylistError(ctx.url, line, `byte range offset ${offset} is not valid`);
  }
  return { offset, length: r.length };
}

function keyOf(
  ctx: Ctx,
  k: hp.Key | undefined,
  line: number | null,
  index: number,
  unsupported: UnsupportedKey[],
): SegmentKey | null {
  if (!k || k.method === "NONE") return null;
  const format = k.format ?? null;
  if (k.method !== "AES-128" || (format !== null && format !== "identity")) {
    const last = unsupported.at(-1);
    if (!last || last.method !== k.method || last.keyFormat !== format) {
      unsupported.push({ method: k.method, firstSegment: index, keyFormat: format });
    }
    return null;
  }
  let iv: Uint8Array | null = null;
  if (k.iv !== undefined) {
    iv = new Uint8Array(k.iv);
    if (iv.byteLength !== 16) throw new PlaylistError(ctx.url, line, "IV must be 16 bytes");
  }
  return { method: "AES-128", uri: resolve(ctx, k.uri, line, "key"), iv };
}

function toMedia(ctx: Ctx, p: hp.MediaPlaylist): MediaPlaylist {
  if (!finiteNonNegative(p.targetDuration)) {
    throw new PlaylistError(ctx.url, null, "EXT-X-TARGETDURATION is missing or invalid");
  }
  const mediaSequence = p.mediaSequenceBase ?? 0;
  if (!Number.isSafeInteger(mediaSequence) || mediaSequence < 0) {
    throw new PlaylistError(ctx.url, null, "EXT-X-MEDIA-SEQUENCE is not a valid integer");
  }
  const unsupportedKeys: UnsupportedKey[] = [];
  const segments: MediaSegment[] = [];
  /** Per resource URL: where the previous sub-range ended (implicit offsets, HLS-3). */
  const ends = new Map<string, number>();
  const inits = new Map<hp.MediaInitializationSection, InitSection>();
  let start = 0;
  for (const [index, s] of p.segments.entries()) {
    const line = ctx.uriLines[index] ?? null;
    if (!finiteNonNegative(s.duration)) {
      throw new PlaylistError(ctx.url, line, `EXTINF duration ${s.duration} is not valid`);
    }
    const url = resolve(ctx, s.uri, line, "segment");
    const range = s.byterange ? span(ctx, s.byterange, line, ends.get(url) ?? 0) : null;
    if (range) ends.set(url, range.offset + range.length);
    const key = keyOf(ctx, s.key, line, index, unsupportedKeys);
    let init: InitSection | null = null;
    if (s.map) {
      init = inits.get(s.map) ?? null;
      if (!init) {
        const initUrl = resolve(ctx, s.map.uri, line, "EXT-X-MAP");
        init = {
          url: initUrl,
          range: s.map.byterange ? span(ctx, s.map.byterange, line, 0) : null,
          // The key in effect where the map's first segment starts (see CONTEXT.md).
          key: key && { ...key, iv: key.iv ?? sequenceIv(mediaSequence + index) },
        };
        inits.set(s.map, init);
      }
    }
    segments.push({
      index,
      sequence: mediaSequence + index,
      url,
      range,
      duration: s.duration,
      start,
      discontinuity: s.discontinuity === true,
      discontinuitySequence: s.discontinuitySequence ?? 0,
      key,
      init,
    });
    start += s.duration;
  }
  return {
    kind: "media",
    url: ctx.url,
    targetDuration: p.targetDuration,
    mediaSequence,
    endList: p.endlist,
    playlistType: p.playlistType ?? null,
    segments,
    totalDuration: start,
    unsupportedKeys,
    warnings: ctx.warnings,
  };
}
