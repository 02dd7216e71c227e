/**
 * The undici backend (NET-1): ONE keep-alive `Agent` per client, shared by every request.
 * It never follows redirects (the client does, to check schemes and count hops, NET-12) and
 * has no timeouts of its own besides connect: idle timeouts belong to the net body (NET-2).
 *
 * Requests go through `Agent.dispatch` with our own handler (`DispatchExchange`), not
 * `agent.request()`: no Readable stream, async iterator adapter or AbortSignal per request.
 * The handler is the response's head promise and its body iterator at once; body chunks
 * queue up to `HIGH_WATER` bytes, then the socket is paused until the reader catches up.
 */
import { Agent, type Dispatcher } from "undici";
import { toNetError } from "./errors.js";
import type { Headers, HttpBackend, RawRequest, RawResponse } from "./types.js";

export interface UndiciBackendOptions {
  /** Backstop for the TCP/TLS connect; the client's inactivity timer normally fires first. */
  connectTimeoutMs?: number;
  /** Idle keep-alive sockets are closed after this long (undici default 4 s). */
  keepAliveTimeoutMs?: number;
  /** Connections per origin (default: unlimited). */
  connections?: number;
}

/** Bytes a body buffers ahead of its reader before the socket is paused (backpressure). */
export const HIGH_WATER = 1 << 20;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const out: Record<string, string> = {};
  // for-in over the own keys of undici's plain header object: no entries array per response.
  for (const k in raw) {
    const v = raw[k];
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

/** What an undici body reports about its read-ahead (observability and tests). */
export interface BufferedBody {
  /** Bytes received and not yet handed to the reader. */
  readonly bufferedBytes: number;
  /** True while the socket is paused because `bufferedBytes` passed `HIGH_WATER`. */
  readonly paused: boolean;
}

type Settlers<T> = { resolve: (v: T) => void; reject: (e: unknown) => void };

/**
 * One request: undici's dispatch handler, the head promise (`head`) and the body iterator.
 * State moves one way: pending head -> streaming -> ended | failed. Chunks delivered while
 * nobody waits are queued (FIFO, `#queued` bytes); `next()` hands out the oldest one.
 */
class DispatchExchange
  implements Dispatcher.DispatchHandler, AsyncIterableIterator<Uint8Array, undefined>, BufferedBody
{
  readonly head: Promise<RawResponse>;
  readonly #url: string;
  #settleHead: Settlers<RawResponse> | undefined;
  #ctl: Dispatcher.DispatchController | undefined;
  /** An abort asked before undici handed us the controller. */
  #abortReason: unknown;
  #aborted = false;
  #chunks: Uint8Array[] = [];
  #first = 0;
  #queued = 0;
  #paused = false;
  #ended = false;
  #error: unknown;
  #failed = false;
  #waiter: Settlers<IteratorResult<Uint8Array, undefined>> | undefined;

  constructor(req: RawRequest) {
    this.#url = req.url;
    this.head = new Promise<RawResponse>((resolve, reject) => {
      this.#settleHead = { resolve, reject };
    });
    req.onAbort(this.#abort);
  }

  readonly #abort = (reason: unknown): void => {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#abortReason = reason;
    // undici reports the abort back through onResponseError; before the request started
    // there is no controller yet, so fail the head here (onRequestStart aborts it later).
    if (this.#ctl) this.#ctl.abort(reason instanceof Error ? reason : new Error(String(reason)));
    else this.#fail(reason);
  };

  // --- undici's side -------------------------------------------------------------------

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#ctl = controller;
    if (this.#aborted) {
      const r = this.#abortReason;
      controller.abort(r instanceof Error ? r : new Error(String(r)));
    }
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    const settle = this.#settleHead;
    this.#settleHead = undefined;
    settle?.resolve({
      status: statusCode,
      url: this.#url,
      headers: flattenHeaders(headers),
      body: this,
      dispose: this.#dispose,
    });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      w.resolve({ done: false, value: chunk });
      return;
    }
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued > HIGH_WATER && !this.#paused) {
      this.#paused = true;
      controller.pause();
    }
  }

  onResponseEnd(): void {
    this.#ended = true;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.resolve(DONE);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.#fail(err);
  }

  #fail(err: unknown): void {
    if (this.#ended || this.#failed) return;
    this.#failed = true;
    this.#error = toNetError(err, this.#url);
    const head = this.#settleHead;
    this.#settleHead = undefined;
    head?.reject(this.#error);
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(this.#error);
  }

  // --- the reader's side ----------------------------------------------------------------

  get bufferedBytes(): number {
    return this.#queued;
  }

  get paused(): boolean {
    return this.#paused;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (this.#first < this.#chunks.length) {
      const chunk = this.#chunks[this.#first] as Uint8Array;
      this.#first++;
      this.#queued -= chunk.length;
      if (this.#first === this.#chunks.length) {
        this.#chunks = [];
        this.#first = 0;
      }
      if (this.#paused && this.#queued <= HIGH_WATER / 2) {
        this.#paused = false;
        this.#ctl?.resume();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.#ended) return Promise.resolve(DONE);
    if (this.#failed) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /**
   * Release the body. A body that reached its end has already returned its connection to
   * the pool; an unfinished one is aborted, which costs the connection.
   */
  readonly #dispose = async (): Promise<void> => {
    this.#chunks = [];
    this.#first = 0;
    this.#queued = 0;
    if (this.#ended || this.#failed) return;
    this.#abort(new Error("body released before its end"));
  };
}

export function createUndiciBackend(options: UndiciBackendOptions = {}): HttpBackend {
  const agent = new Agent({
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    connect: { timeout: options.connectTimeoutMs ?? 30_000 },
    ...(options.connections !== undefined ? { connections: options.connections } : {}),
  });
  return {
    name: "undici",
    request(req: RawRequest): Promise<RawResponse> {
      const ex = new DispatchExchange(req);
      const t = req.target;
      try {
        agent.dispatch(
          {
            origin: t.origin,
            path: `${t.pathname}${t.search}`,
            method: req.method,
            headers: req.headers,
          },
          ex,
        );
      } catch (e) {
        return Promise.reject(toNetError(e, req.url));
      }
      return ex.head;
    },
    async close() {
      await agent.destroy();
    },
  };
}
