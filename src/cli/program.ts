/**
 * The commander program (CLI-1..5): parses the command line and hands typed option bags to
 * the command handlers. Parsing only; the work lives in `commands/`.
 */
import { Command, Option, type OptionValues } from "@commander-js/extra-typings";
import { EXIT_CODE_HELP } from "./exit-codes.js";
import {
  type CacheOptions,
  type DemoOptions,
  type GcOptions,
  type GetOptions,
  parseBitrate,
  parsePort,
  parsePositiveInt,
  parseVariant,
  type ServeOptions,
} from "./options.js";

/** What each command does; `main.ts` wires the real ones, tests may pass recorders. */
export interface CommandHandlers {
  get(url: string, opts: GetOptions): Promise<void>;
  serve(opts: ServeOptions): Promise<void>;
  cacheLs(opts: CacheOptions): Promise<void>;
  cacheVerify(opts: CacheOptions): Promise<void>;
  cacheGc(opts: GcOptions): Promise<void>;
  cacheRm(assets: string[], opts: CacheOptions): Promise<void>;
  demo(opts: DemoOptions): Promise<void>;
}

const VERSION = "0.1.0";

function outputOptions<Args extends unknown[], Opts extends OptionValues, G extends OptionValues>(
  cmd: Command<Args, Opts, G>,
) {
  return cmd
    .option("--json", "machine-readable JSON result on stdout (no progress)")
    .option("-q, --quiet", "no progress output")
    .option("-v, --verbose", "stack traces and details on errors");
}

export function buildProgram(handlers: CommandHandlers): Command {
  const program = new Command("plectrum")
    .description(
      "Download and proxy media (progressive files and HLS) through the plectrum engine.",
    )
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", `\n${EXIT_CODE_HELP}`);

  outputOptions(
    program
      .command("get")
      .description("download a URL (file or HLS stream) through the cache and write the result")
      .argument("<url>", "http(s) URL of a media file or an HLS playlist (.m3u8)")
      .option("-o, --output <path>", "output file, or a directory (HLS: a playable local copy)")
      .option("--variant <n|best|worst>", "HLS: download this variant only", parseVariant)
      .option(
        "--max-bitrate <bps>",
        "HLS: never pick a variant above this (e.g. 256k)",
        parseBitrate,
      )
      .addOption(
        new Option("--abr <mode>", "HLS: adaptive variant choice").choices(["auto"] as const),
      )
      .option("--concurrency <n>", "parallel requests", parsePositiveInt)
      .option("--cache-dir <dir>", "cache directory (default: $XDG_CACHE_HOME/plectrum)")
      .option("--events <file.ndjson>", "write every engine event as NDJSON to this file"),
  )
    .addHelpText("after", `\n${EXIT_CODE_HELP}`)
    .action((url, opts) => handlers.get(url, opts));

  outputOptions(
    program
      .command("serve")
      .description("run the local caching proxy: http://HOST:PORT/proxy?url=<encoded URL>")
      .option("--host <host>", "address to bind", "127.0.0.1")
      .option("--port <port>", "port to listen on (0 = any free port)", parsePort, 8787)
      .option("--allow-remote", "accept requests from non-loopback clients")
      .option("--prefetch <n>", "HLS segments fetched ahead of the player", parsePositiveInt, 3)
      .option("--concurrency <n>", "parallel upstream requests", parsePositiveInt)
      .option("--cache-dir <dir>", "cache directory (default: $XDG_CACHE_HOME/plectrum)")
      .option("--events <file.ndjson>", "write every engine event as NDJSON to this file"),
  )
    .addHelpText("after", `\n${EXIT_CODE_HELP}`)
    .action((opts) => handlers.serve(opts));

  const cache = program.command("cache").description("inspect and maintain the cache");
  outputOptions(
    cache
      .command("ls")
      .description("list cached assets")
      .option("--cache-dir <dir>", "cache directory"),
  ).action((opts) => handlers.cacheLs(opts));
  outputOptions(
    cache
      .command("verify")
      .description("check cached files against the index (read-only); exit 6 on problems")
      .option("--cache-dir <dir>", "cache directory"),
  ).action((opts) => handlers.cacheVerify(opts));
  outputOptions(
    cache
      .command("gc")
      .description("evict least-recently-used assets over the limits, delete orphan files")
      .option("--cache-dir <dir>", "cache directory")
      .option("--max-bytes <n>", "keep at most this many bytes", parsePositiveInt)
      .option("--max-assets <n>", "keep at most this many assets", parsePositiveInt),
  ).action((opts) => handlers.cacheGc(opts));
  outputOptions(
    cache
      .command("rm")
      .description("remove assets by asset id (32 hex, see `cache ls`) or by URL")
      .argument("<asset...>", "asset ids or URLs")
      .option("--cache-dir <dir>", "cache directory"),
  ).action((assets, opts) => handlers.cacheRm(assets, opts));

  outputOptions(
    program
      .command("demo")
      .description(
        "serve a generated multi-variant HLS stream locally and download it (no network)",
      )
      .option("-o, --output <dir>", "where to write the result (default: a temp dir)")
      .option("--cache-dir <dir>", "cache directory (default: a temp dir)")
      .option("--events <file.ndjson>", "write every engine event as NDJSON to this file"),
  ).action((opts) => handlers.demo(opts));

  return program as unknown as Command;
}
