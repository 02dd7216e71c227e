/**
 * Traces and content for the ABR simulator (BENCH-6), per `shared/traces/README.md`:
 * traces are `<seconds> <Mbit/s>` rows; the video ladder's chunk sizes come from
 * `video-sizes/`; the audio ladder's are derived from the bitrate with a deterministic
 * +-10 % variation.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface Trace {
  name: string;
  /** Seconds, first 0. */
  time: Float64Array;
  /** Mbit/s. */
  mbps: Float64Array;
}

export interface Content {
  mode: "video" | "audio";
  bitratesKbps: readonly number[];
  /** sizes[level][chunk] in bytes, 49 entries (the reference's robustMPC reads chunk 48 too). */
  sizes: readonly (readonly number[])[];
  chunks: number;
  chunkS: number;
  /** Level of the first chunk (README: level 1). */
  firstLevel: number;
  /**
   * QoE_lin's rebuffering penalty per second: the top bitrate in Mbit/s, as in the reference
   * (4.3 for the 4300 kbit/s video ladder; 0.32 for the audio ladder).
   */
  rebufferPenalty: number;
}

export const VIDEO_KBPS = [300, 750, 1200, 1850, 2850, 4300] as const;
export const AUDIO_KBPS = [64, 128, 256, 320] as const;
export const AUDIO_TRACE_SCALE = 0.213;
export const CHUNKS = 48;
export const CHUNK_S = 4;

export function loadTraces(dir: string, scale = 1): Trace[] {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith(".") && !e.name.endsWith(".md"))
    .map((e) => e.name);
  names.sort();
  return names.map((name) => {
    const time: number[] = [];
    const mbps: number[] = [];
    for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
      const parts = line.trim().split(/\s+/);
      if (parts.length < 2) continue;
      const t = Number(parts[0]);
      const b = Number(parts[1]);
      if (!Number.isFinite(t) || !Number.isFinite(b)) continue;
      time.push(t);
      mbps.push(b * scale);
    }
    if (time.length < 2) throw new Error(`trace ${name}: fewer than two samples`);
    return { name, time: Float64Array.from(time), mbps: Float64Array.from(mbps) };
  });
}

export function videoContent(sizesDir: string): Content {
  const sizes = VIDEO_KBPS.map((_, level) =>
    readFileSync(join(sizesDir, `video_size_${level}`), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map(Number),
  );
  return {
    mode: "video",
    bitratesKbps: VIDEO_KBPS,
    sizes,
    chunks: CHUNKS,
    chunkS: CHUNK_S,
    firstLevel: 1,
    rebufferPenalty: 4.3,
  };
}

/**
 * Audio: bytes = kbit/s x 1000 x 4 s / 8 x (1 + v), v in [-0.1, 0.1] from a fixed integer
 * hash of (level, chunk), so every run and every reimplementation sees the same sizes.
 */
export function audioContent(): Content {
  const sizes = AUDIO_KBPS.map((kbps, level) =>
    Array.from({ length: CHUNKS + 1 }, (_, k) => {
      const h = (Math.imul(k + 1, 2654435761) ^ Math.imul(level + 1, 40503)) >>> 0;
      const v = ((h % 2001) - 1000) / 10_000;
      return Math.round(((kbps * 1000 * CHUNK_S) / 8) * (1 + v));
    }),
  );
  return {
    mode: "audio",
    bitratesKbps: AUDIO_KBPS,
    sizes,
    chunks: CHUNKS,
    chunkS: CHUNK_S,
    firstLevel: 1,
    rebufferPenalty: AUDIO_KBPS[AUDIO_KBPS.length - 1]! / 1000,
  };
}
