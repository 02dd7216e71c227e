/**
 * `plectrum get <url>` (CLI-1): download through the engine into the cache, then write the
 * result: for HLS a concatenated media file or (with `-o dir/`) a playable local copy
 * (HLS-13 export).
 */
import { downloadHls } from "../../hls/download.js";
import { isHlsUrl } from "../../hls/source.js";
import { Engine } from "../engine.js";
import { CliError, ExitCode } from "../exit-codes.js";
import type { GetOptions } from "../options.js";
import { formatBytes } from "../progress/format.js";
import { checkTarget } from "../proxy/url-scheme.js";
import { type CliStreams, Session } from "../session.js";
import { getFile } from "./get-file.js";
import { finishOutput, type HlsOutput, planHlsOutput } from "./output.js";

export interface GetResult {
  url: string;
  kind: "hls" | "file";
  /** The file or directory written. */
  output: string;
  /** What to open in a player (the file, or the local playlist). */
  play: string;
  bytes: number;
  networkBytes: number;
  segments?: number;
  variants?: number[];
  seconds: number;
}

/** Map `--variant/--max-bitrate/--abr` onto the HLS download options. */
export function variantSelection(
  opts: GetOptions,
  abr: Engine["abr"],
): { variant?: number; maxBitrate?: number; abr?: Engine["abr"] } {
  if (opts.abr === "auto" && opts.variant !== undefined) {
    throw new CliError(ExitCode.Usage, "--variant and --abr auto exclude each other", {
      hint: "pick a fixed variant, or let ABR choose",
    });
  }
  const sel: { variant?: number; maxBitrate?: number; abr?: Engine["abr"] } = {};
  if (opts.maxBitrate !== undefined) sel.maxBitrate = opts.maxBitrate;
  if (opts.abr === "auto") sel.abr = abr;
  else if (typeof opts.variant === "number") sel.variant = opts.variant;
  // No ABR and no index: the HLS peer takes the best variant within the cap, and the lowest
  // one when none fits, so a cap of 1 bit/s selects the lowest ("worst").
  else if (opts.variant === "worst") sel.maxBitrate = 1;
  return sel;
}

export async function runGet(
  url: string,
  opts: GetOptions,
  streams: CliStreams,
): Promise<GetResult> {
  const target = checkTarget(url);
  await using session = await Session.open(streams, opts);
  const engine = await Engine.open({
    bus: session.bus,
    clock: session.clock,
    cacheDir: opts.cacheDir,
    concurrency: opts.concurrency,
  });
  session.defer(() => engine.close());
  session.progress.attach(session.bus);
  const started = session.clock.now();
  let result: Omit<GetResult, "seconds"> | "hls";
  try {
    result = isHlsUrl(target) ? "hls" : await getFile(target, opts, engine, session);
    if (result === "hls") result = await getHls(target, opts, engine, session);
  } catch (err) {
    // Ctrl-C tears the download down; whatever error that causes, the user interrupted.
    if (session.signal.aborted) throw session.signal.reason;
    throw err;
  }
  const done = { ...result, seconds: (session.clock.now() - started) / 1000 };
  session.progress.close();
  report(session, done);
  return done;
}

async function getHls(
  url: string,
  opts: GetOptions,
  engine: Engine,
  session: Session,
): Promise<Omit<GetResult, "seconds">> {
  const out: HlsOutput = await planHlsOutput(url, opts.output);
  const r = await downloadHls(url, {
    downloader: engine.downloader,
    store: engine.store,
    ...variantSelection(opts, engine.abr),
    ...(out.dir !== undefined ? { outDir: out.dir } : {}),
    ...(out.file !== undefined ? { outFile: out.file } : {}),
    clock: session.clock,
    signal: session.signal,
  });
  session.signal.throwIfAborted();
  const written = await finishOutput(out);
  return {
    url,
    kind: "hls",
    output: written.output,
    play: written.play,
    bytes: r.bytes,
    networkBytes: r.networkBytes,
    segments: r.segments,
    variants: [...new Set(r.variants)],
  };
}

function report(session: Session, r: GetResult): void {
  session.json(r);
  const what =
    r.kind === "hls"
      ? `${r.segments} segments, variant${(r.variants?.length ?? 0) > 1 ? "s" : ""} #${r.variants?.join(", #")}`
      : "progressive";
  session.result(
    `Saved ${r.output} (${formatBytes(r.bytes)}, ${what}) in ${r.seconds.toFixed(1)} s`,
  );
  session.result(`Play it: ffplay -nodisp -autoexit ${quote(r.play)}   (or mpv / VLC)`);
}

function quote(path: string): string {
  return /^[\w./:@%+=,-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}
