/**
 * One HTTP/1.1 request: its serialized head, and the response side (a `BodyChannel` fed by the
 * connection's parser). It is attached to at most one connection at a time; the pool moves it
 * from its queue to a connection, and once more to a fresh one when a reused keep-alive socket
 * turns out to have been closed by the server before any response byte (the stale-socket race;
 * GET and HEAD are idempotent).
 */
import { NetError } from "../../core/errors.js";
import { BodyChannel } from "../body-channel.js";
import type { RawRequest } from "../types.js";
import { hasControl, isToken } from "./head.js";
import type { ParserSink, ResponseHead } from "./parser.js";

/** What the request needs from the connection carrying it. */
export interface Carrier {
  pause(): void;
  resume(): void;
  /** Tear the connection down (the request was aborted or released unfinished). */
  destroy(): void;
}

/** What the request needs from the pool that queues it. */
export interface Queue {
  /** Forget a request that is still waiting for a connection. */
  withdraw(req: Http1Request): void;
}

/** Framing and routing headers the transport owns: a caller's are dropped. */
const OWNED = new Set([
  "host",
  "connection",
  "keep-alive",
  "content-length",
  "transfer-encoding",
  "te",
  "upgrade",
  "trailer",
  "proxy-connection",
]);

/**
 * The request head: request line, `host`, the caller's headers. Header names and values are
 * checked so a caller's value can never inject a line (a typed `Unsupported` error instead).
 */
export function serializeHead(req: RawRequest): string {
  const t = req.target;
  let head = `${req.method} ${t.pathname}${t.search} HTTP/1.1\r\nhost: ${t.host}\r\n`;
  const headers = req.headers;
  for (const name in headers) {
    const value = headers[name] as string;
    if (!isToken(name) || hasControl(value)) {
      throw new NetError(
        "Unsupported",
        `invalid request header ${JSON.stringify(name)}: ${req.url}`,
        {
          url: req.url,
        },
      );
    }
    if (OWNED.has(name.toLowerCase())) continue;
    head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

export class Http1Request extends BodyChannel implements ParserSink {
  readonly wire: string;
  readonly noBody: boolean;
  /** Set by the response head: the connection may carry another request afterwards. */
  keepAlive = false;
  /** Already moved to a fresh connection once after a stale keep-alive socket. */
  retried = false;
  /** The server's `keep-alive: timeout=N` hint, in ms. */
  idleHintMs: number | undefined;
  #carrier: Carrier | undefined;
  #queue: Queue | undefined;

  constructor(req: RawRequest, wire: string) {
    super(req);
    this.wire = wire;
    this.noBody = req.method === "HEAD";
    req.onAbort(this.#abort);
  }

  /** The connection carrying this request, or none. */
  attach(carrier: Carrier | undefined): void {
    this.#carrier = carrier;
    this.#queue = undefined;
  }

  /** The pool queue holding this request until a connection frees up. */
  enqueue(queue: Queue): void {
    this.#queue = queue;
  }

  readonly #abort = (reason: unknown): void => {
    if (this.settled) return;
    this.deliverError(reason instanceof Error ? reason : new Error(String(reason)));
    const carrier = this.#carrier;
    this.#carrier = undefined;
    carrier?.destroy();
    this.#queue?.withdraw(this);
    this.#queue = undefined;
  };

  /** The transport failed this request (connection error, invalid response, close()). */
  fail(err: unknown): void {
    this.#carrier = undefined;
    this.#queue = undefined;
    this.deliverError(err);
  }

  protected pauseSource(): void {
    this.#carrier?.pause();
  }

  protected resumeSource(): void {
    this.#carrier?.resume();
  }

  protected abortSource(reason: Error): void {
    this.#abort(reason);
  }

  // --- the parser's side -----------------------------------------------------------------

  onHead(head: ResponseHead): void {
    this.keepAlive = head.keepAlive;
    const hint = head.headers["keep-alive"];
    if (hint !== undefined) {
      const m = /(?:^|[,;\s])timeout\s*=\s*(\d+)/i.exec(hint);
      if (m) this.idleHintMs = Number(m[1]) * 1000;
    }
    this.deliverHead(head.status, head.headers);
  }

  onBody(chunk: Buffer): void {
    this.deliverChunk(chunk);
  }

  onEnd(): void {
    this.#carrier = undefined;
    this.deliverEnd();
  }
}
