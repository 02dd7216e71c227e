/**
 * ffmpeg-generated HLS fixtures from a synthetic source (`-f lavfi sine`): multi-variant AAC
 * in fMP4 and MPEG-TS, byte-range single-file, and AES-128 TS. Short, so CI stays fast.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { run } from "./tools.js";

export type HlsKind = "fmp4" | "ts" | "single" | "aes";

export interface HlsFixtureOptions {
  /** Seconds of audio. */
  duration: number;
  /** Audio bit rates of the variants, e.g. ["64k", "128k"]. */
  bitrates: readonly string[];
  /** Target segment duration in seconds. */
  segment: number;
}

export interface HlsFixture {
  kind: HlsKind;
  /** Directory (inside the served root) holding `master.m3u8` and the variants. */
  dir: string;
  /** Path of the master playlist relative to the served root. */
  master: string;
  duration: number;
  variants: number;
  /** AES fixtures: the 16-byte key. */
  key?: Buffer;
}

const DEFAULTS: HlsFixtureOptions = { duration: 20, bitrates: ["64k", "128k"], segment: 4 };

/** Generate one fixture under `root/name`. */
export async function generateHls(
  root: string,
  name: string,
  kind: HlsKind,
  options: Partial<HlsFixtureOptions> = {},
): Promise<HlsFixture> {
  const o = { ...DEFAULTS, ...options };
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const n = o.bitrates.length;
  const args = [
    "-hide_banner",
    "-loglevel",
    "error",
    "-f",
    "lavfi",
    "-i",
    `sine=frequency=440:duration=${o.duration}:sample_rate=44100`,
  ];
  for (let i = 0; i < n; i++) args.push("-map", "0:a");
  args.push("-c:a", "aac");
  o.bitrates.forEach((b, i) => {
    args.push(`-b:a:${i}`, b);
  });
  args.push("-f", "hls", "-hls_time", String(o.segment), "-hls_playlist_type", "vod");
  let segName: string;
  let key: Buffer | undefined;
  switch (kind) {
    case "fmp4":
      args.push("-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4");
      segName = "v%v/seg%03d.m4s";
      break;
    case "ts":
      args.push("-hls_segment_type", "mpegts");
      segName = "v%v/seg%03d.ts";
      break;
    case "single":
      args.push("-hls_segment_type", "mpegts", "-hls_flags", "single_file");
      segName = "v%v/all.ts";
      break;
    case "aes": {
      key = randomBytes(16);
      await writeFile(join(dir, "enc.key"), key);
      // Line 1: the key URI as written into the playlist (relative to the variant playlist);
      // line 2: where ffmpeg reads the key; line 3: the IV.
      await writeFile(
        join(dir, "keyinfo"),
        `../enc.key\n${join(dir, "enc.key")}\n${randomBytes(16).toString("hex")}\n`,
      );
      args.push("-hls_segment_type", "mpegts", "-hls_key_info_file", join(dir, "keyinfo"));
      segName = "v%v/seg%03d.ts";
      break;
    }
  }
  args.push(
    "-master_pl_name",
    "master.m3u8",
    "-var_stream_map",
    o.bitrates.map((_, i) => `a:${i}`).join(" "),
    "-hls_segment_filename",
    join(dir, segName),
    join(dir, "v%v/index.m3u8"),
  );
  await run("ffmpeg", args);
  const fixture: HlsFixture = {
    kind,
    dir,
    master: `${name}/master.m3u8`,
    duration: o.duration,
    variants: n,
  };
  if (key) fixture.key = key;
  return fixture;
}

/** A progressive media file (`name`, AAC in MP4) of `duration` seconds, for hash checks. */
export async function generateProgressive(
  root: string,
  name: string,
  duration: number,
): Promise<string> {
  const path = join(root, name);
  await run("ffmpeg", [
    "-hide_banner",
    "-loglevel",
    "error",
    "-f",
    "lavfi",
    "-i",
    `sine=frequency=330:duration=${duration}:sample_rate=44100`,
    "-c:a",
    "aac",
    "-b:a",
    "128k",
    "-movflags",
    "+faststart",
    path,
  ]);
  return path;
}
