/**
 * An incremental HTTP/1.1 response parser (RFC 9112), strict where leniency would let a
 * response be read two ways: any framing it cannot read in exactly one way is an
 * `InvalidResponse`, after which the connection is never reused.
 *
 * Fed socket chunks in order (`execute`); body bytes are handed out as `subarray`s of the
 * socket's own buffers (no copy). The head (status line + headers) and each trailer section
 * are bounded by `maxHeaderBytes`, a chunk-size line by `MAX_CHUNK_LINE`, so a hostile peer
 * can make it hold at most that many bytes.
 */
import { hasControl, InvalidResponse, parseFields, parseHead } from "./head.js";

export { InvalidResponse } from "./head.js";

/** What a parsed response head carries. Header names lower-cased, repeats joined ", ". */
export interface ResponseHead {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** The server allows another request on this connection (HTTP/1.1, no `connection: close`). */
  readonly keepAlive: boolean;
}

export interface ParserSink {
  /** The final (non-1xx) head; 1xx interim heads are skipped. */
  onHead(head: ResponseHead): void;
  onBody(chunk: Buffer): void;
  /** The message is complete; `execute` returns right after this. */
  onEnd(): void;
}

/** Chunk-size line incl. extensions. */
const MAX_CHUNK_LINE = 4096;
const CRLF2 = Buffer.from("\r\n\r\n", "latin1");
const DIGITS = /^\d+$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]+)[ \t]*(?:;.*)?$/;

enum State {
  Head = 0,
  Length = 1,
  ChunkSize = 2,
  ChunkData = 3,
  ChunkEnd = 4,
  Trailers = 5,
  UntilClose = 6,
  Done = 7,
}

/** The one content-length of a head: repeats (header or list) must all agree. */
function contentLength(raw: string): number {
  // The usual case, one plain number: digits only, no list to split.
  if (raw.length > 0 && raw.length <= 15) {
    let n = 0;
    let i = 0;
    for (; i < raw.length; i++) {
      const d = raw.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
    }
    if (i === raw.length) return n;
  }
  let length: number | undefined;
  for (const part of raw.split(",")) {
    const v = part.trim();
    if (!DIGITS.test(v)) throw new InvalidResponse(`invalid content-length ${JSON.stringify(raw)}`);
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new InvalidResponse(`content-length too large: ${v}`);
    if (length !== undefined && length !== n) {
      throw new InvalidResponse(`conflicting content-length values ${JSON.stringify(raw)}`);
    }
    length = n;
  }
  return length as number;
}

export class ResponseParser {
  readonly #maxHeaderBytes: number;
  readonly #copyBelow: number;
  #sink: ParserSink | undefined;
  #state = State.Done;
  #noBody = false;
  /** Bytes of an unfinished head, size line or trailer section, kept across chunks. */
  #pending: Buffer | undefined;
  #remaining = 0;
  #received = false;
  #views = 0;
  #lastView: Buffer | undefined;

  /**
   * `copyBelow`: body pieces shorter than this are handed out as copies, not views, so the
   * caller can reuse the memory of a read that carried only small pieces (0: never copy).
   */
  constructor(maxHeaderBytes: number, copyBelow = 0) {
    this.#maxHeaderBytes = maxHeaderBytes;
    this.#copyBelow = copyBelow;
  }

  /** Expect a new response; `noBody` for a HEAD request. */
  reset(sink: ParserSink, noBody: boolean): void {
    this.#sink = sink;
    this.#noBody = noBody;
    this.#state = State.Head;
    this.#pending = undefined;
    this.#received = false;
  }

  /** Some byte of this response has arrived. */
  get received(): boolean {
    return this.#received;
  }

  /** The response ends when the connection does (no length, not chunked). */
  get untilClose(): boolean {
    return this.#state === State.UntilClose;
  }

  get done(): boolean {
    return this.#state === State.Done;
  }

  /**
   * How many body views of the last `execute`'s `data` were handed out, and the last one. The
   * parser itself never keeps a view of `data` past `execute` (unfinished lines and pieces
   * below `copyBelow` are copied), so with no views out the caller may reuse `data` at once.
   */
  get views(): number {
    return this.#views;
  }

  get lastView(): Buffer | undefined {
    return this.#lastView;
  }

  /**
   * Consume `data`; returns how many bytes belonged to this response (less than
   * `data.length` only when the message completed inside it). Throws `InvalidResponse`.
   */
  execute(data: Buffer): number {
    this.#views = 0;
    this.#lastView = undefined;
    if (data.length > 0) this.#received = true;
    let at = 0;
    while (at < data.length) {
      switch (this.#state) {
        case State.Head:
          at = this.#head(data, at);
          break;
        case State.Length:
          at = this.#counted(data, at);
          if (this.#remaining === 0) return this.#end(at);
          break;
        case State.ChunkSize:
          at = this.#chunkSize(data, at);
          break;
        case State.ChunkData:
          at = this.#counted(data, at);
          if (this.#remaining === 0) {
            this.#state = State.ChunkEnd;
            this.#remaining = 2;
          }
          break;
        case State.ChunkEnd: {
          // The CRLF after chunk data, possibly split across socket chunks.
          const want = this.#remaining === 2 ? 0x0d : 0x0a;
          if (data[at] !== want) throw new InvalidResponse("chunk data not followed by CRLF");
          at++;
          if (--this.#remaining === 0) this.#state = State.ChunkSize;
          break;
        }
        case State.Trailers:
          at = this.#trailers(data, at);
          break;
        case State.UntilClose:
          this.#body(data, at, data.length - at);
          at = data.length;
          break;
        case State.Done:
          return at;
      }
    }
    return at;
  }

  /** The connection ended: completes a close-delimited body, else the response was cut. */
  finish(): void {
    if (this.#state === State.UntilClose) {
      this.#end(0);
      return;
    }
    if (this.#state !== State.Done) {
      throw new InvalidResponse("connection closed before the end of the response");
    }
  }

  /** Hand out up to `#remaining` body bytes from `data[at..]`; returns where they end. */
  #counted(data: Buffer, at: number): number {
    const n = Math.min(this.#remaining, data.length - at);
    this.#remaining -= n;
    this.#body(data, at, n);
    return at + n;
  }

  #body(data: Buffer, at: number, n: number): void {
    if (n === 0) return;
    if (n < this.#copyBelow) {
      this.#sink?.onBody(Buffer.from(data.subarray(at, at + n)));
      return;
    }
    const view = at === 0 && n === data.length ? data : data.subarray(at, at + n);
    this.#views++;
    this.#lastView = view;
    this.#sink?.onBody(view);
  }

  #end(at: number): number {
    this.#state = State.Done;
    this.#pending = undefined;
    this.#sink?.onEnd();
    return at;
  }

  /** Append `data[at..]` to the pending bytes; the result and where the new bytes start. */
  #gather(data: Buffer, at: number): { buf: Buffer; from: number } {
    const p = this.#pending;
    if (p === undefined) return { buf: at === 0 ? data : data.subarray(at), from: 0 };
    return { buf: Buffer.concat([p, data.subarray(at)]), from: p.length };
  }

  /** Keep an unfinished line for the next chunk: a copy when it is a view of the socket's data. */
  #keep(buf: Buffer, from: number): void {
    this.#pending = from === 0 ? Buffer.from(buf) : buf;
  }

  #head(data: Buffer, at: number): number {
    const { buf, from } = this.#gather(data, at);
    const end = buf.indexOf(CRLF2, Math.max(0, from - 3));
    if (end < 0) {
      if (buf.length > this.#maxHeaderBytes) {
        throw new InvalidResponse(`response head larger than ${this.#maxHeaderBytes} bytes`);
      }
      this.#keep(buf, from);
      return data.length;
    }
    if (end + 4 > this.#maxHeaderBytes) {
      throw new InvalidResponse(`response head larger than ${this.#maxHeaderBytes} bytes`);
    }
    this.#pending = undefined;
    const consumed = at + (end + 4 - from);
    this.#onHead(buf.toString("latin1", 0, end));
    return consumed;
  }

  #onHead(text: string): void {
    const { minor, status, headers } = parseHead(text);
    if (status < 200) {
      if (status === 101) throw new InvalidResponse("unexpected protocol switch (101)");
      return; // interim response: the real one follows
    }
    const te = headers["transfer-encoding"];
    const cl = headers["content-length"];
    const conn = headers.connection;
    const keepAlive =
      minor === 1 && (conn === undefined || !/(?:^|,)\s*close\s*(?:,|$)/i.test(conn));
    this.#sink?.onHead({ status, headers, keepAlive });
    if (this.#noBody || status === 204 || status === 304) {
      this.#end(0);
      return;
    }
    if (te !== undefined) {
      if (cl !== undefined) throw new InvalidResponse("both transfer-encoding and content-length");
      if (te.trim().toLowerCase() !== "chunked") {
        throw new InvalidResponse(`unsupported transfer-encoding ${JSON.stringify(te)}`);
      }
      this.#state = State.ChunkSize;
      return;
    }
    if (cl !== undefined) {
      this.#remaining = contentLength(cl);
      if (this.#remaining === 0) this.#end(0);
      else this.#state = State.Length;
      return;
    }
    this.#state = State.UntilClose;
  }

  #chunkSize(data: Buffer, at: number): number {
    const { buf, from } = this.#gather(data, at);
    const nl = buf.indexOf(0x0a, from);
    if (nl < 0) {
      if (buf.length > MAX_CHUNK_LINE) throw new InvalidResponse("chunk-size line too long");
      this.#keep(buf, from);
      return data.length;
    }
    if (nl + 1 > MAX_CHUNK_LINE) throw new InvalidResponse("chunk-size line too long");
    if (buf[nl - 1] !== 0x0d) throw new InvalidResponse("chunk-size line not ended by CRLF");
    this.#pending = undefined;
    const line = buf.toString("latin1", 0, nl - 1);
    const m = CHUNK_SIZE.exec(line);
    if (m === null || hasControl(line)) {
      throw new InvalidResponse(`invalid chunk size ${JSON.stringify(line.slice(0, 40))}`);
    }
    const size = Number.parseInt(m[1] as string, 16);
    if (!Number.isSafeInteger(size) || (m[1] as string).length > 14) {
      throw new InvalidResponse(`chunk size too large: ${(m[1] as string).slice(0, 20)}`);
    }
    if (size === 0) this.#state = State.Trailers;
    else {
      this.#state = State.ChunkData;
      this.#remaining = size;
    }
    return at + (nl + 1 - from);
  }

  /** Trailer fields after the last chunk: validated like headers, then dropped. */
  #trailers(data: Buffer, at: number): number {
    const { buf, from } = this.#gather(data, at);
    // An empty trailer section is a bare CRLF right away.
    if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
      this.#pending = undefined;
      return this.#end(at + (2 - from));
    }
    const end = buf.indexOf(CRLF2, Math.max(0, from - 3));
    if (end < 0) {
      if (buf.length > this.#maxHeaderBytes) throw new InvalidResponse("trailer section too large");
      this.#keep(buf, from);
      return data.length;
    }
    if (end + 4 > this.#maxHeaderBytes) throw new InvalidResponse("trailer section too large");
    parseFields(buf.toString("latin1", 0, end), 0, {});
    this.#pending = undefined;
    return this.#end(at + (end + 4 - from));
  }
}
