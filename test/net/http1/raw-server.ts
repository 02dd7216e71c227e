/**
 * A loopback server that scripts exact response bytes (HTTP/1.1 transport conformance, NET-1).
 * It parses only request heads (the clients under test send GET/HEAD without a body) and
 * hands each one, in arrival order per connection, to the current handler, which answers
 * with raw bytes: every `write` is a real `socket.write` followed by its callback and a
 * `setImmediate`, so separate writes reach the client as separate reads. Plain TCP or TLS.
 */
import { once } from "node:events";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { afterAll, afterEach, beforeAll } from "vitest";

/** One request head as the server received it. */
export interface ReceivedRequest {
  method: string;
  target: string;
  version: string;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The head exactly as received, CRLFs included. */
  raw: string;
  conn: RawConn;
}

export type Handler = (req: ReceivedRequest, conn: RawConn) => void | Promise<void>;

export class RawConn {
  /** Bytes received on this connection, in order (heads and anything else the client sent). */
  received: Buffer = Buffer.alloc(0);
  readonly requests: ReceivedRequest[] = [];
  /** Bytes this server wrote (counted when `socket.write` accepted them). */
  written = 0;
  /** True once the socket emitted 'close'. */
  isClosed = false;

  /** True once either side ended or destroyed the socket (no more writes possible). */
  get gone(): boolean {
    return this.isClosed || this.socket.destroyed || !this.socket.writable;
  }
  /** Resolves when the socket emitted 'close' (whoever closed it). */
  readonly closed: Promise<void>;
  /** The SNI server name a TLS client sent (TLS connections only). */
  readonly servername: string | false | null | undefined;

  constructor(
    readonly id: number,
    readonly socket: Socket,
  ) {
    this.servername = (socket as TLSSocket).encrypted
      ? (socket as TLSSocket).servername
      : undefined;
    this.closed = new Promise((resolve) => {
      socket.once("close", () => {
        this.isClosed = true;
        resolve();
      });
    });
  }

  /** Write `data`, wait for it to be flushed to the kernel, then yield one event-loop turn. */
  async write(data: string | Uint8Array): Promise<void> {
    if (!this.socket.destroyed) {
      const buf = typeof data === "string" ? Buffer.from(data, "latin1") : data;
      this.written += buf.length;
      await new Promise<void>((resolve) => {
        this.socket.write(buf, () => resolve());
      });
    }
    await new Promise<void>((r) => setImmediate(r));
  }

  /** Write `data` cut at the given (sorted, deduplicated by the caller or not) offsets. */
  async writePieces(data: Uint8Array, cuts: readonly number[]): Promise<void> {
    let at = 0;
    for (const c of [...cuts, data.length]) {
      if (c <= at) continue;
      await this.write(data.subarray(at, Math.min(c, data.length)));
      at = c;
    }
  }

  /** Half-close after `data` (FIN). */
  async end(data?: string | Uint8Array): Promise<void> {
    if (data !== undefined) await this.write(data);
    if (!this.socket.destroyed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export interface RawServerOptions {
  /** Serve TLS with this key pair instead of plain TCP. */
  tls?: { key: string; cert: string };
  host?: string;
}

export class RawServer {
  readonly connections: RawConn[] = [];
  readonly requests: ReceivedRequest[] = [];
  #handler: Handler | undefined;
  #waiters: Array<() => void> = [];

  private constructor(
    readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(options: RawServerOptions = {}): Promise<RawServer> {
    const host = options.host ?? "127.0.0.1";
    const server = options.tls ? createTlsServer(options.tls) : createServer();
    let self: RawServer | undefined;
    server.on(options.tls ? "secureConnection" : "connection", (socket: Socket) => {
      self?.accept(socket);
    });
    server.listen(0, host);
    await once(server, "listening");
    const port = (server.address() as AddressInfo).port;
    const scheme = options.tls ? "https" : "http";
    const hostPart = host.includes(":") ? `[${host}]` : host;
    self = new RawServer(server, `${scheme}://${hostPart}:${port}`);
    return self;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  /** Replace the handler (each test installs its own). */
  handle(handler: Handler): void {
    this.#handler = handler;
  }

  /** Connections whose socket has not closed. */
  get open(): RawConn[] {
    return this.connections.filter((c) => !c.isClosed);
  }

  /** Resolves once `cond()` holds; re-checked after every connection, data, request and close. */
  async when(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise<void>((r) => this.#waiters.push(r));
  }

  #notify(): void {
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) w();
  }

  /** Destroy every connection and reset the records (between tests). */
  async reset(): Promise<void> {
    for (const c of this.connections) c.destroy();
    await Promise.all(this.connections.map((c) => c.closed));
    this.connections.length = 0;
    this.requests.length = 0;
    this.#handler = undefined;
  }

  async close(): Promise<void> {
    await this.reset();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private accept(socket: Socket): void {
    const conn = new RawConn(this.connections.length, socket);
    this.connections.push(conn);
    socket.on("error", () => {});
    void conn.closed.then(() => this.#notify());
    let pending = Buffer.alloc(0);
    let chain: Promise<void> = Promise.resolve();
    socket.on("data", (d: Buffer) => {
      conn.received = Buffer.concat([conn.received, d]);
      this.#notify();
      pending = Buffer.concat([pending, d]);
      for (;;) {
        const end = pending.indexOf("\r\n\r\n");
        if (end < 0) break;
        const raw = pending.subarray(0, end + 4).toString("latin1");
        pending = pending.subarray(end + 4);
        const req = parseHead(raw, conn);
        conn.requests.push(req);
        this.requests.push(req);
        this.#notify();
        chain = chain.then(async () => {
          const h = this.#handler;
          if (h === undefined) throw new Error(`no handler for ${req.method} ${req.target}`);
          await h(req, conn);
        });
        chain.catch((e: unknown) => {
          socket.destroy(e instanceof Error ? e : new Error(String(e)));
        });
      }
    });
    this.#notify();
  }
}

function parseHead(raw: string, conn: RawConn): ReceivedRequest {
  const lines = raw.slice(0, -4).split("\r\n");
  const [method = "", target = "", version = ""] = (lines[0] ?? "").split(" ");
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { method, target, version, headers, raw, conn };
}

/** A complete response with a content-length body. */
export function clResponse(body: string | Uint8Array, extra = "", status = "200 OK"): Buffer {
  const b = typeof body === "string" ? Buffer.from(body, "latin1") : Buffer.from(body);
  return Buffer.concat([
    Buffer.from(`HTTP/1.1 ${status}\r\ncontent-length: ${b.length}\r\n${extra}\r\n`, "latin1"),
    b,
  ]);
}

/** One raw server per test file: started before all tests, reset after each, closed after all. */
export function useRawServer(options: RawServerOptions = {}): () => RawServer {
  let server: RawServer | undefined;
  beforeAll(async () => {
    server = await RawServer.start(options);
  });
  afterEach(async () => {
    await server?.reset();
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => {
    if (!server) throw new Error("the raw server starts in beforeAll");
    return server;
  };
}
