/**
 * The local caching proxy (CLI-2). Every request names an upstream http(s) URL (see
 * `url-scheme.ts`); playlists come back rewritten so every segment, key and sub-playlist
 * also goes through the proxy; media is served from the engine's cache with Range support
 * while it is still arriving; the next segments of a playlist are prefetched ahead of the
 * player. Loopback clients only unless `allowRemote`.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { NetError } from "../../core/errors.js";
import { CliError, classify, ExitCode, netCause } from "../exit-codes.js";
import { isLoopback } from "./access.js";
import { parseRangeRequest, resolveRange } from "./range-request.js";
import { looksLikePlaylist, rewritePlaylist, type SegmentRef } from "./rewrite.js";
import type { ProxyUpstream, UpstreamResource } from "./upstream.js";
import { proxyUrl, targetOf } from "./url-scheme.js";

export interface ProxyOptions {
  host: string;
  port: number;
  allowRemote: boolean;
  /** Segments to fetch ahead of the one the player asked for. */
  prefetch: number;
  /** One line per request (method, status, target). */
  log?: (line: string) => void;
}

const CHUNK = 256 * 1024;
const M3U8 = "application/vnd.apple.mpegurl";

interface Position {
  list: SegmentRef[];
  index: number;
}

export class ProxyServer {
  readonly #upstream: ProxyUpstream;
  readonly #opts: ProxyOptions;
  readonly #server: Server;
  /** Where each known segment sits in its playlist, keyed by `url` or `url#start`. */
  readonly #positions = new Map<string, Position>();
  readonly #inflight = new Set<AbortController>();

  private constructor(upstream: ProxyUpstream, opts: ProxyOptions) {
    this.#upstream = upstream;
    this.#opts = opts;
    this.#server = createServer((req, res) => {
      void this.#handle(req, res);
    });
  }

  /** Listen on `host:port` (port 0 = any free port). */
  static async listen(upstream: ProxyUpstream, opts: ProxyOptions): Promise<ProxyServer> {
    const p = new ProxyServer(upstream, opts);
    p.#server.listen(opts.port, opts.host);
    await Promise.race([
      once(p.#server, "listening"),
      once(p.#server, "error").then(([err]) => {
        throw new CliError(
          ExitCode.Usage,
          `cannot listen on ${opts.host}:${opts.port}: ${(err as Error).message}`,
          {
            hint: "pick another --port (0 = any free port)",
            cause: err,
          },
        );
      }),
    ]);
    return p;
  }

  /** `http://host:port` as bound. */
  get origin(): string {
    const a = this.#server.address() as AddressInfo;
    const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  async close(): Promise<void> {
    for (const c of this.#inflight) c.abort();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const abort = new AbortController();
    this.#inflight.add(abort);
    res.once("close", () => abort.abort());
    let target: string | undefined;
    try {
      if (!this.#opts.allowRemote && !isLoopback(req.socket.remoteAddress)) {
        throw new CliError(
          ExitCode.Refused,
          `refusing a request from ${req.socket.remoteAddress}: only loopback clients are allowed`,
          {
            hint: "start `plectrum serve --allow-remote` to accept other hosts",
          },
        );
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      target = targetOf(req.url ?? "/");
      if (target === undefined) {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("plectrum proxy: GET /proxy?url=<percent-encoded http(s) URL>\n");
        return;
      }
      const origin = `http://${req.headers.host ?? this.origin.slice("http://".length)}`;
      if (/\.m3u8?$/i.test(new URL(target).pathname)) {
        await this.#servePlaylist(target, origin, req, res, abort.signal);
      } else {
        await this.#serveMedia(target, origin, req, res, abort.signal);
      }
      this.#opts.log?.(`${req.method} ${res.statusCode} ${target}`);
    } catch (err) {
      if (abort.signal.aborted && !res.headersSent) return;
      const { line } = classify(err, target === undefined ? {} : { url: target });
      this.#opts.log?.(`${req.method} ${statusOf(err)} ${line}`);
      if (!res.headersSent) {
        res.writeHead(statusOf(err), { "content-type": "text/plain" }).end(`${line}\n`);
      } else res.destroy();
    } finally {
      this.#inflight.delete(abort);
    }
  }

  async #servePlaylist(
    target: string,
    origin: string,
    req: IncomingMessage,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<void> {
    const pl = await this.#upstream.playlist(target, signal);
    const out = rewritePlaylist(pl.text, pl.url, (u) => proxyUrl(origin, u));
    this.#remember(out.segments);
    const body = Buffer.from(out.text, "utf8");
    res.writeHead(200, {
      "content-type": M3U8,
      "content-length": String(body.length),
      "cache-control": "no-cache",
    });
    res.end(req.method === "HEAD" ? undefined : body);
    // Start the first segments before the player asks (CLI-2 prefetch).
    for (const seg of out.segments.slice(0, this.#opts.prefetch))
      this.#upstream.prefetch(seg.url, seg.range);
  }

  #remember(list: SegmentRef[]): void {
    list.forEach((seg, index) => {
      this.#positions.set(seg.range ? `${seg.url}#${seg.range.start}` : seg.url, { list, index });
    });
  }

  #prefetchAfter(url: string, start: number | undefined): void {
    const pos =
      (start !== undefined ? this.#positions.get(`${url}#${start}`) : undefined) ??
      this.#positions.get(url);
    if (!pos) return;
    for (const seg of pos.list.slice(pos.index + 1, pos.index + 1 + this.#opts.prefetch)) {
      this.#upstream.prefetch(seg.url, seg.range);
    }
  }

  async #serveMedia(
    target: string,
    origin: string,
    req: IncomingMessage,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<void> {
    const resource = await this.#upstream.open(target, signal);
    try {
      // Length and content type arrive with the first bytes.
      await resource.waitRange(0, 1, signal);
      const type = resource.contentType();
      if (looksLikePlaylist(type, target, "")) {
        const pl = await this.#upstream.playlist(target, signal);
        const out = rewritePlaylist(pl.text, pl.url, (u) => proxyUrl(origin, u));
        this.#remember(out.segments);
        res.writeHead(200, { "content-type": M3U8, "cache-control": "no-cache" }).end(out.text);
        return;
      }
      const range = parseRangeRequest(req.headers.range);
      if (range.kind === "invalid") {
        res.writeHead(416, { "content-range": `bytes */${resource.length() ?? "*"}` }).end();
        return;
      }
      const total = await this.#knownLength(resource, signal);
      const headers: Record<string, string> = {
        "accept-ranges": "bytes",
        "content-type": type ?? "application/octet-stream",
      };
      let start = 0;
      let end = total;
      if (range.kind === "none") {
        res.writeHead(200, { ...headers, "content-length": String(total) });
      } else {
        const r = resolveRange(range, total);
        if (!r) {
          res.writeHead(416, { "content-range": `bytes */${total}` }).end();
          return;
        }
        ({ start, end } = r);
        res.writeHead(206, {
          ...headers,
          "content-length": String(end - start),
          "content-range": `bytes ${start}-${end - 1}/${total}`,
        });
      }
      this.#prefetchAfter(target, range.kind === "range" ? range.start : undefined);
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      await this.#pipe(resource, start, end, res, signal);
    } finally {
      resource.release();
    }
  }

  async #knownLength(resource: UpstreamResource, signal: AbortSignal): Promise<number> {
    const known = resource.length();
    if (known !== undefined) return known;
    // No length from the origin (chunked): wait for the end of the body.
    await resource.waitRange(0, Number.MAX_SAFE_INTEGER, signal);
    const total = resource.length();
    if (total === undefined) throw new NetError("Decode", "the upstream length never became known");
    return total;
  }

  async #pipe(
    resource: UpstreamResource,
    start: number,
    end: number,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<void> {
    for (let pos = start; pos < end; ) {
      const next = Math.min(end, pos + CHUNK);
      if ((await resource.waitRange(pos, next, signal)) === "eof") {
        throw new NetError(
          "Decode",
          `upstream body ended at ${resource.length()} before byte ${next}`,
        );
      }
      const bytes = await resource.read(pos, next - pos);
      pos = next;
      if (!res.write(bytes)) await once(res, "drain", { signal });
    }
    res.end();
  }
}

function statusOf(err: unknown): number {
  if (err instanceof CliError) {
    return err.exitCode === ExitCode.Refused ? 403 : err.exitCode === ExitCode.Usage ? 400 : 500;
  }
  const net = netCause(err);
  if (net) {
    if (net.kind === "Timeout") return 504;
    if (net.kind === "Status" && net.status === 404) return 404;
    return 502;
  }
  return 500;
}
