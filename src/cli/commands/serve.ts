/** `plectrum serve` (CLI-2): the local caching proxy, until Ctrl-C. */
import { once } from "node:events";
import { Engine } from "../engine.js";
import type { ServeOptions } from "../options.js";
import { isLoopbackHost } from "../proxy/access.js";
import { EngineUpstream } from "../proxy/engine-upstream.js";
import { ProxyServer } from "../proxy/server.js";
import { entryUrl } from "../proxy/url-scheme.js";
import { type CliStreams, Session } from "../session.js";

export async function runServe(opts: ServeOptions, streams: CliStreams): Promise<void> {
  await using session = await Session.open(streams, { ...opts, quiet: true });
  const engine = await Engine.open({
    bus: session.bus,
    clock: session.clock,
    cacheDir: opts.cacheDir,
    concurrency: opts.concurrency,
  });
  session.defer(() => engine.close());
  const upstream = new EngineUpstream(engine);
  session.defer(() => upstream.close());
  const log = opts.quiet ? undefined : (line: string) => streams.stderr.write(`${line}\n`);
  const proxy = await ProxyServer.listen(upstream, {
    host: opts.host,
    port: opts.port,
    allowRemote: opts.allowRemote === true,
    prefetch: opts.prefetch,
    ...(log ? { log } : {}),
  });
  session.defer(() => proxy.close());
  const origin = proxy.origin;
  if (opts.json)
    streams.stdout.write(`${JSON.stringify({ origin, proxy: `${origin}/proxy?url=` })}\n`);
  else {
    streams.stdout.write(`plectrum proxy on ${origin} (cache: ${engine.store.root})\n`);
    streams.stdout.write(
      `  play through it: ffplay '${entryUrl(origin, "https://example.com/stream.m3u8")}'\n`,
    );
    if (!isLoopbackHost(opts.host) && !opts.allowRemote) {
      streams.stdout.write("  note: requests from other hosts are refused (add --allow-remote)\n");
    }
    streams.stdout.write("  Ctrl-C to stop\n");
  }
  if (!session.signal.aborted) await once(session.signal, "abort");
}
