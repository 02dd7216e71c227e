/**
 * The connections of one origin: idle ones (a stack: the most recently used is reused first,
 * so the others age out), a count of open ones capped by `connections`, and the requests
 * waiting for one when the cap is reached (FIFO).
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { Connection, type ConnectionOwner } from "./connection.js";
import type { Http1Request, Queue } from "./request.js";
import { takeSlab } from "./slabs.js";

export interface PoolOptions {
  readonly connectTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly connections: number;
  readonly maxHeaderBytes: number;
  readonly tls: { ca?: string | Buffer; rejectUnauthorized?: boolean } | undefined;
}

/** What a pool tells the backend owning it. */
export interface PoolOwner {
  /** The idle timer's clock (ms). */
  now(): number;
  /** `conn` went idle: make sure an idle sweep will see it. */
  parked(conn: Connection): void;
  /** The pool has no connection and no waiting request left. */
  empty(pool: OriginPool): void;
}

export class OriginPool implements ConnectionOwner, Queue {
  readonly key: string;
  readonly #target: URL;
  readonly #opts: PoolOptions;
  readonly #owner: PoolOwner;
  readonly #idle: Connection[] = [];
  readonly #open = new Set<Connection>();
  #waiting: Http1Request[] = [];

  constructor(key: string, target: URL, opts: PoolOptions, owner: PoolOwner) {
    this.key = key;
    this.#target = target;
    this.#opts = opts;
    this.#owner = owner;
  }

  get sockets(): number {
    return this.#open.size;
  }

  /** Send `req` over an idle connection, a new one, or queue it. */
  dispatch(req: Http1Request): void {
    const idle = this.#idle.pop();
    if (idle !== undefined) idle.send(req);
    else if (this.#open.size < this.#opts.connections) this.#connect().send(req);
    else {
      req.enqueue(this);
      this.#waiting.push(req);
    }
  }

  withdraw(req: Http1Request): void {
    const i = this.#waiting.indexOf(req);
    if (i >= 0) this.#waiting.splice(i, 1);
    this.#checkEmpty();
  }

  released(conn: Connection): void {
    const next = this.#waiting.shift();
    if (next !== undefined) {
      conn.send(next);
      return;
    }
    const limit = this.#idleLimit(conn);
    if (limit <= 0) {
      conn.destroy();
      return;
    }
    conn.park(limit, this.#owner.now());
    this.#idle.push(conn);
    this.#owner.parked(conn);
  }

  closed(conn: Connection): void {
    if (!this.#open.delete(conn)) return;
    const i = this.#idle.indexOf(conn);
    if (i >= 0) this.#idle.splice(i, 1);
    const next = this.#waiting.shift();
    if (next !== undefined) this.#connect().send(next);
    else this.#checkEmpty();
  }

  resend(req: Http1Request): void {
    // A fresh connection, never another idle one: it may be just as stale.
    if (this.#open.size < this.#opts.connections) this.#connect().send(req);
    else {
      req.enqueue(this);
      this.#waiting.unshift(req);
    }
  }

  /** Close idle connections idle past their limit; returns the earliest remaining deadline. */
  sweep(now: number): number | undefined {
    let next: number | undefined;
    for (const conn of [...this.#idle]) {
      const due = conn.idleSince + conn.idleLimitMs;
      if (due <= now) conn.destroy();
      else if (next === undefined || due < next) next = due;
    }
    return next;
  }

  /** Destroy every connection and fail the waiting requests with `err`. */
  destroy(err: Error): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const req of waiting) req.fail(err);
    for (const conn of [...this.#open]) conn.destroy(err);
  }

  #idleLimit(conn: Connection): number {
    const hint = conn.idleHintMs;
    const ours = this.#opts.keepAliveTimeoutMs;
    // Leave a second of margin under the server's own idle timeout, as its clock runs first.
    return hint === undefined ? ours : Math.min(ours, hint - 1000);
  }

  #checkEmpty(): void {
    if (this.#open.size === 0 && this.#waiting.length === 0) this.#owner.empty(this);
  }

  #connect(): Connection {
    const t = this.#target;
    const host = t.hostname.startsWith("[") ? t.hostname.slice(1, -1) : t.hostname;
    let socket: Socket;
    let ready: string;
    if (t.protocol === "https:") {
      const tls = this.#opts.tls;
      socket = tlsConnect({
        host,
        port: Number(t.port || 443),
        ALPNProtocols: ["http/1.1"],
        ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
        ...(tls?.ca !== undefined ? { ca: tls.ca } : {}),
        ...(tls?.rejectUnauthorized !== undefined
          ? { rejectUnauthorized: tls.rejectUnauthorized }
          : {}),
      });
      ready = "secureConnect";
    } else {
      // Reads land in reusable slabs (slabs.ts) instead of a fresh buffer per read.
      socket = netConnect({
        host,
        port: Number(t.port || 80),
        onread: {
          buffer: takeSlab,
          callback: (n, slab) => {
            conn.read(n, slab as Buffer);
            return true;
          },
        },
      });
      ready = "connect";
    }
    socket.setKeepAlive(true, 60_000);
    const conn: Connection = new Connection(
      socket,
      this,
      this.#opts.maxHeaderBytes,
      this.#opts.connectTimeoutMs,
      ready,
      t.protocol !== "https:",
    );
    this.#open.add(conn);
    return conn;
  }
}
