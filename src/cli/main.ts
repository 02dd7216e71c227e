/**
 * The `plectrum` entry point: `bin/plectrum.js` (through tsx) and `npm run demo` run this.
 * Sets the exit code from `runCli` (CLI-5) and lets the event loop drain.
 */
import { cacheGc, cacheLs, cacheRm, cacheVerify } from "./commands/cache.js";
import { runDemo } from "./commands/demo.js";
import { runGet } from "./commands/get.js";
import { runServe } from "./commands/serve.js";
import type { CommandHandlers } from "./program.js";
import { runCli } from "./run.js";
import type { CliStreams } from "./session.js";

const streams: CliStreams = { stdout: process.stdout, stderr: process.stderr };

const handlers: CommandHandlers = {
  get: async (url, opts) => {
    await runGet(url, opts, streams);
  },
  serve: (opts) => runServe(opts, streams),
  cacheLs: (opts) => cacheLs(opts, streams),
  cacheVerify: (opts) => cacheVerify(opts, streams),
  cacheGc: (opts) => cacheGc(opts, streams),
  cacheRm: (assets, opts) => cacheRm(assets, opts, streams),
  demo: (opts) => runDemo(opts, streams),
};

process.exitCode = await runCli(process.argv.slice(2), handlers, streams);
