/**
 * `createHttpClient` (NET-1): getBytes / stream / getRange / head over a backend (our HTTP/1.1
 * client by default, undici, or fetch), with retry (NET-4/5), the resumable body (NET-9), hard limits (NET-12)
 * and HEAD (NET-13). Every failure is a NetError (CORE-3).
 */
import { NetError } from "../core/errors.js";
import { type ByteRange, parseContentRange, parseLength } from "../core/ranges.js";
import { createFetchBackend } from "./backend-fetch.js";
import { createHttp1Backend } from "./backend-http1.js";
import { createUndiciBackend } from "./backend-undici.js";
import { resolveNetConfig } from "./config.js";
import { toNetError } from "./errors.js";
import { type Exchange, type ExchangeRequest, exchange } from "./exchange.js";
import { Operation, OperationList } from "./operation.js";
import { ResumableBody } from "./resumable.js";
import { InactivityMonitor } from "./signals.js";
import type {
  BytesResponse,
  HeadResponse,
  HttpBackend,
  HttpClient,
  NetConfig,
  RequestOptions,
  StreamResponse,
} from "./types.js";
import type { WireRange } from "./validate.js";

export type HttpClientOptions = Partial<NetConfig> & {
  /** The transport: our HTTP/1.1 client (default), undici, fetch, or your own. */
  backend?: "http1" | "undici" | "fetch" | HttpBackend;
};

function toWireRange(range: ByteRange): WireRange {
  if (!Number.isSafeInteger(range.start) || range.start < 0) {
    throw new NetError("Unsupported", `invalid range start ${range.start}`);
  }
  if (range.end === undefined) return { start: range.start, end: undefined };
  if (!Number.isSafeInteger(range.end) || range.end <= range.start) {
    throw new NetError("Unsupported", `invalid range [${range.start}, ${range.end})`);
  }
  return { start: range.start, end: range.end - 1 };
}

/**
 * A stream's answer. A class, not an object literal: a literal with a `get consumed()`
 * accessor is built by a V8 runtime call and its garbage outlived the young generation
 * (BENCH-1, see `HopRequest` in exchange.ts).
 */
class StreamResult implements StreamResponse {
  readonly status: number;
  readonly url: string;
  readonly headers: StreamResponse["headers"];
  readonly partial: boolean;
  readonly expectedLength: number | null;
  readonly total: number | null;
  readonly body: ResumableBody;

  constructor(first: Exchange, body: ResumableBody) {
    const { res, shape } = first;
    this.status = res.status;
    this.url = res.url;
    this.headers = res.headers;
    this.partial = shape.partial;
    this.expectedLength = shape.expectedLength;
    this.total = shape.total;
    this.body = body;
  }

  get consumed(): number {
    return this.body.consumed;
  }

  dispose(): Promise<void> {
    return this.body.dispose();
  }
}

class Client implements HttpClient {
  readonly #cfg: NetConfig;
  readonly #backend: HttpBackend;
  readonly #ops = new OperationList();
  readonly #monitor: InactivityMonitor;
  #closed = false;

  constructor(options: HttpClientOptions) {
    const { backend, ...partial } = options;
    this.#cfg = resolveNetConfig(partial);
    this.#monitor = new InactivityMonitor(this.#cfg.clock, this.#cfg.inactivityTimeoutMs);
    if (backend === undefined || backend === "http1") {
      this.#backend = createHttp1Backend({
        connectTimeoutMs: this.#cfg.inactivityTimeoutMs,
        clock: this.#cfg.clock,
      });
    } else if (backend === "undici") {
      this.#backend = createUndiciBackend({ connectTimeoutMs: this.#cfg.inactivityTimeoutMs });
    } else if (backend === "fetch") {
      this.#backend = createFetchBackend();
    } else {
      this.#backend = backend;
    }
  }

  #begin(url: string, options: RequestOptions | undefined): Operation {
    if (this.#closed) throw new NetError("Cancelled", `client is closed: ${url}`, { url });
    const op = new Operation(this.#cfg, url, options?.signal, this.#ops);
    return op;
  }

  #request(
    url: string,
    method: "GET" | "HEAD",
    range: WireRange | undefined,
    options: RequestOptions | undefined,
  ): ExchangeRequest {
    return {
      url,
      method,
      headers: options?.headers,
      range,
      observer: options?.observer,
      rejectHtml: options?.rejectHtml ?? false,
      validate: options?.validate,
    };
  }

  async getBytes(url: string, options?: RequestOptions): Promise<BytesResponse> {
    const op = this.#begin(url, options);
    const req = this.#request(url, "GET", undefined, options);
    try {
      return await op.retry(options?.observer, async () => {
        const ex = await exchange(
          { backend: this.#backend, cfg: this.#cfg, op, monitor: this.#monitor },
          req,
        );
        try {
          const bytes = await this.#readAll(ex, url);
          return { status: ex.res.status, url: ex.res.url, headers: ex.res.headers, bytes };
        } finally {
          await ex.close();
        }
      });
    } finally {
      op.finish();
    }
  }

  /** The whole body, at most maxBodyBytes (NET-12), each chunk gap guarded (NET-2). */
  async #readAll(ex: Exchange, url: string): Promise<Uint8Array> {
    const max = this.#cfg.maxBodyBytes;
    const tooLarge = (n: number | string) =>
      new NetError("TooLarge", `body of ${n} bytes exceeds maxBodyBytes ${max}: ${url}`, { url });
    const expected = ex.shape.expectedLength;
    if (expected !== null && expected > max) throw tooLarge(expected);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const r = await ex.guard.step(ex.iterator.next(), "waiting for body bytes");
      if (r.done) break;
      size += r.value.length;
      if (size > max) throw tooLarge(`more than ${max}`);
      chunks.push(r.value);
    }
    if (expected !== null && size !== expected) {
      throw new NetError("Network", `body ended at ${size} of ${expected} bytes: ${url}`, { url });
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  stream(url: string, options?: RequestOptions): Promise<StreamResponse> {
    return this.#stream(url, undefined, options);
  }

  getRange(url: string, range: ByteRange, options?: RequestOptions): Promise<StreamResponse> {
    let wire: WireRange;
    try {
      wire = toWireRange(range);
    } catch (e) {
      return Promise.reject(toNetError(e, url));
    }
    return this.#stream(url, wire, options);
  }

  async #stream(
    url: string,
    range: WireRange | undefined,
    options: RequestOptions | undefined,
  ): Promise<StreamResponse> {
    const op = this.#begin(url, options);
    const observer = options?.observer;
    const base = this.#request(url, "GET", range, options);
    const ctx = { backend: this.#backend, cfg: this.#cfg, op, monitor: this.#monitor };
    let first: Exchange;
    try {
      first = await op.retry(observer, () => exchange(ctx, base));
    } catch (e) {
      op.finish();
      throw e;
    }
    const body = new ResumableBody(first, range, op, observer, (r, ifRange) =>
      exchange(ctx, { ...base, range: r, ifRange }),
    );
    return new StreamResult(first, body);
  }

  async head(url: string, options?: RequestOptions): Promise<HeadResponse> {
    const op = this.#begin(url, options);
    const req = this.#request(url, "HEAD", undefined, options);
    try {
      return await op.retry(options?.observer, async () => {
        const ex = await exchange(
          { backend: this.#backend, cfg: this.#cfg, op, monitor: this.#monitor },
          req,
        );
        await ex.close();
        const h = ex.res.headers;
        const contentLength =
          parseLength(h["content-length"]) ?? parseContentRange(h["content-range"])?.total ?? null;
        return { status: ex.res.status, url: ex.res.url, headers: h, contentLength };
      });
    } finally {
      op.finish();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const op of this.#ops.toArray()) {
      op.abort(new NetError("Cancelled", `client closed: ${op.url}`, { url: op.url }));
      op.finish();
    }
    await this.#backend.close();
  }
}

/** An HttpClient over our HTTP/1.1 client (default; one keep-alive pool per origin), undici or fetch (NET-1). */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  return new Client(options);
}
