/**
 * The undici backend (NET-1, selectable with `backend: "undici"`): ONE keep-alive `Agent` per
 * client, shared by every request. It never follows redirects (the client does, to check
 * schemes and count hops, NET-12) and has no timeouts of its own besides connect: idle
 * timeouts belong to the net body (NET-2).
 *
 * undici is loaded on the backend's first use, not at import: loading it and compiling its
 * wasm parser costs ~56 MB of peak RSS (see docs/ARCHITECTURE.md), which the default http1
 * backend never pays. Requests go through `Agent.dispatch` with our own handler
 * (`DispatchExchange`, a `BodyChannel`), not `agent.request()`: no Readable stream, async
 * iterator adapter or AbortSignal per request.
 */
import type { Agent, Dispatcher } from "undici";
import { BodyChannel } from "./body-channel.js";
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

/** One request: undici's dispatch handler feeding a BodyChannel. */
class DispatchExchange extends BodyChannel implements Dispatcher.DispatchHandler {
  #ctl: Dispatcher.DispatchController | undefined;
  /** An abort asked before undici handed us the controller. */
  #abortReason: Error | undefined;

  constructor(req: RawRequest) {
    super(req);
    req.onAbort(this.#abort);
  }

  readonly #abort = (reason: unknown): void => {
    if (this.#abortReason !== undefined || this.settled) return;
    const err = reason instanceof Error ? reason : new Error(String(reason));
    this.#abortReason = err;
    // undici reports the abort back through onResponseError; before the request started
    // there is no controller yet, so fail the head here (onRequestStart aborts it later).
    if (this.#ctl) this.#ctl.abort(err);
    else this.deliverError(err);
  };

  protected pauseSource(): void {
    this.#ctl?.pause();
  }

  protected resumeSource(): void {
    this.#ctl?.resume();
  }

  protected abortSource(reason: Error): void {
    this.#abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#ctl = controller;
    if (this.#abortReason !== undefined) controller.abort(this.#abortReason);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.deliverHead(statusCode, flattenHeaders(headers));
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.deliverChunk(chunk);
  }

  onResponseEnd(): void {
    this.deliverEnd();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.deliverError(err);
  }
}

export function createUndiciBackend(options: UndiciBackendOptions = {}): HttpBackend {
  let agent: Agent | undefined;
  const loading = import("undici").then((undici) => {
    agent = new undici.Agent({
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
      connect: { timeout: options.connectTimeoutMs ?? 30_000 },
      ...(options.connections !== undefined ? { connections: options.connections } : {}),
    });
    return agent;
  });
  const dispatch = (a: Agent, req: RawRequest): Promise<RawResponse> => {
    const ex = new DispatchExchange(req);
    const t = req.target;
    try {
      a.dispatch(
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
  };
  return {
    name: "undici",
    request(req: RawRequest): Promise<RawResponse> {
      return agent ? dispatch(agent, req) : loading.then((a) => dispatch(a, req));
    },
    async close() {
      await (await loading).destroy();
    },
  };
}
