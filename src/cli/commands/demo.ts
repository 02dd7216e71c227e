/**
 * `plectrum demo` (CLI-4): serve a generated multi-variant HLS stream on loopback and download
 * it with ABR, live progress and a playable result. No network, no ffmpeg.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSampleServer } from "../demo/sample-server.js";
import type { DemoOptions } from "../options.js";
import { kbps } from "../progress/model.js";
import type { CliStreams } from "../session.js";
import { runGet } from "./get.js";

export async function runDemo(opts: DemoOptions, streams: CliStreams): Promise<void> {
  // A congested first 3 s, then a fast link: ABR steps down, then back up.
  const server = await startSampleServer({ slowStartMs: 3000 });
  const work = await mkdtemp(join(tmpdir(), "plectrum-demo-"));
  try {
    if (!opts.quiet && !opts.json) {
      streams.stderr.write(
        `plectrum demo: a local HLS stream, ${server.variants} variants (${server.bitrates.map(kbps).join(" / ")} FLAC), ${server.duration} s of audio\n  ${server.url}\n`,
      );
    }
    await runGet(
      server.url,
      {
        ...opts,
        abr: "auto",
        output: opts.output ?? join(work, "demo.flac"),
        cacheDir: opts.cacheDir ?? join(work, "cache"),
      },
      streams,
    );
  } finally {
    await server.close();
    // The cache of a throwaway demo goes; the result stays where it was written.
    if (opts.cacheDir === undefined)
      await rm(join(work, "cache"), { recursive: true, force: true });
  }
}
