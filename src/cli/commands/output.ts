/**
 * Where `get` writes an HLS result (CLI-1, HLS-13): `-o dir/` (or an existing directory) = a
 * playable local copy (`index.m3u8` + files); `-o file` = one concatenated media file; no
 * `-o` = `./<name>.<ext>` in the current directory, the extension sniffed from the bytes.
 */
import { open, rename, stat } from "node:fs/promises";
import { basename, join, resolve, sep } from "node:path";

export interface HlsOutput {
  dir?: string;
  file?: string;
  /** Set when the file name's extension is decided after the download. */
  stem?: string;
}

export async function planHlsOutput(url: string, output: string | undefined): Promise<HlsOutput> {
  if (output === undefined) {
    const stem = resolve(stemOf(url));
    return { file: `${stem}.plectrum-tmp`, stem };
  }
  const abs = resolve(output);
  if (output.endsWith("/") || output.endsWith(sep) || (await isDirectory(abs))) return { dir: abs };
  return { file: abs };
}

/** Container of a media file from its first bytes. */
export function sniffExtension(head: Uint8Array): string {
  const ascii = (from: number, to: number) =>
    Buffer.from(head.subarray(from, to)).toString("latin1");
  if (head[0] === 0x47 && (head.length < 189 || head[188] === 0x47)) return ".ts";
  if (ascii(4, 8) === "ftyp" || ascii(4, 8) === "styp" || ascii(4, 8) === "moof") return ".mp4";
  if (ascii(0, 4) === "fLaC") return ".flac";
  if (ascii(0, 3) === "ID3") return ".aac";
  if (head[0] === 0xff && ((head[1] ?? 0) & 0xf6) === 0xf0) return ".aac";
  if (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0) return ".mp3";
  return ".bin";
}

/** Give a deferred file its sniffed name; returns what was written and what to play. */
export async function finishOutput(out: HlsOutput): Promise<{ output: string; play: string }> {
  if (out.dir !== undefined) return { output: out.dir, play: join(out.dir, "index.m3u8") };
  const file = out.file!;
  if (out.stem === undefined) return { output: file, play: file };
  const fh = await open(file, "r");
  const head = new Uint8Array(256);
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  const final = `${out.stem}${sniffExtension(head)}`;
  await rename(file, final);
  return { output: final, play: final };
}

/** Exists and is a directory. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** A default output name from a URL: the last path component without its extension. */
export function stemOf(url: string): string {
  const parts = new URL(url).pathname.split("/").filter((p) => p !== "");
  let stem = (parts.at(-1) ?? "").replace(/\.[^.]*$/, "");
  // `master.m3u8`/`index.m3u8` say nothing: use the directory name.
  if (/^(master|index|playlist|prog_index|main)$/i.test(stem) && parts.length > 1) {
    stem = parts.at(-2) ?? stem;
  }
  const safe = basename(stem)
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .slice(0, 80);
  return safe === "" || safe.startsWith(".") ? "download" : safe;
}
