/**
 * The `plectrum` entry point: `bin/plectrum.js` (through tsx) and `npm run demo` run this.
 * Sets the exit code from `runCli` (CLI-5) and lets the event loop drain. Each command's
 * module is imported when that command runs, so `get` does not load the proxy or the demo.
 */
import type { CommandHandlers } from "./program.js";
import { runCli } from "./run.js";
import type { CliStreams } from "./session.js";

const streams: CliStreams = { stdout: process.stdout, stderr: process.stderr };
const cache = () => import("./commands/cache.js");

const handlers: CommandHandlers = {
  get: async (url, opts) => {
    await (await import("./commands/get.js")).runGet(url, opts, streams);
  },
  serve: async (opts) => (await import("./commands/serve.js")).runServe(opts, streams),
  cacheLs: async (opts) => (await cache()).cacheLs(opts, streams),
  cacheVerify: async (opts) => (await cache()).cacheVerify(opts, streams),
  cacheGc: async (opts) => (await cache()).cacheGc(opts, streams),
  cacheRm: async (assets, opts) => (await cache()).cacheRm(assets, opts, streams),
  demo: async (opts) => (await import("./commands/demo.js")).runDemo(opts, streams),
};

process.exitCode = await runCli(process.argv.slice(2), handlers, streams);
