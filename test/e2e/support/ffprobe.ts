/** ffprobe helpers: what a player would see in a media file or stream. */
import { run } from "./tools.js";

export interface ProbeResult {
  /** Container duration in seconds. */
  duration: number;
  /** Codec name of the first audio stream (e.g. "aac"). */
  audioCodec: string | undefined;
  formatName: string;
}

interface FfprobeJson {
  format?: { duration?: string; format_name?: string };
  streams?: Array<{ codec_type?: string; codec_name?: string }>;
}

/** Probe a file path or URL. */
export async function probe(
  input: string,
  extraArgs: readonly string[] = [],
): Promise<ProbeResult> {
  const { stdout } = await run("ffprobe", [
    "-v",
    "error",
    ...extraArgs,
    "-show_entries",
    "format=duration,format_name:stream=codec_type,codec_name",
    "-of",
    "json",
    input,
  ]);
  const j = JSON.parse(stdout) as FfprobeJson;
  return {
    duration: Number(j.format?.duration ?? Number.NaN),
    audioCodec: j.streams?.find((s) => s.codec_type === "audio")?.codec_name,
    formatName: j.format?.format_name ?? "",
  };
}

/**
 * Decode the whole input with ffmpeg (no output) and return the decoded duration in seconds,
 * read from ffmpeg's final `time=` progress. Catches truncated or corrupt media that a
 * header-only probe would miss.
 */
export async function decodedDuration(
  input: string,
  options: { inputArgs?: readonly string[]; map?: string } = {},
): Promise<number> {
  const map = options.map === undefined ? [] : ["-map", options.map];
  const { stderr } = await run("ffmpeg", [
    "-hide_banner",
    "-nostats",
    "-xerror",
    "-progress",
    "pipe:2",
    ...(options.inputArgs ?? []),
    "-i",
    input,
    ...map,
    "-f",
    "null",
    "-",
  ]);
  const times = [...stderr.matchAll(/out_time_us=(\d+)/g)].map((m) => Number(m[1]));
  const last = times.at(-1);
  if (last === undefined) throw new Error(`ffmpeg decoded nothing from ${input}`);
  return last / 1e6;
}
