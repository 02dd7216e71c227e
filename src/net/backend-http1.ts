/**
 * The default Node backend (NET-1): our own HTTP/1.1 client over `node:net` / `node:tls`.
 * One keep-alive pool per origin, shared by every request of the client; no pipelining; no
 * redirects (the client follows them, NET-12); no timeouts besides a connect backstop and the
 * idle keep-alive limit (idle transfers are timed out by the client, NET-2).
 *
 * Why not undici (docs/ARCHITECTURE.md): loading undici and compiling its wasm parser puts a
 * process at ~98 MB peak RSS before the first body byte (BENCH-5 wants < 100 MB while
 * downloading 2 GiB), and body bytes reach us without a copy here (BENCH-3).
 */
import { type Clock, systemClock, type Timer } from "../core/clock.js";
import { NetError } from "../core/errors.js";
import type { Connection } from "./http1/connection.js";
import { OriginPool, type PoolOptions, type PoolOwner } from "./http1/pool.js";
import { Http1Request, serializeHead } from "./http1/request.js";
import type { HttpBackend, RawRequest, RawResponse } from "./types.js";

export interface Http1BackendOptions {
  /** Backstop for the TCP/TLS connect (default 30 s); the client's inactivity timer normally fires first. */
  connectTimeoutMs?: number;
  /** Idle keep-alive sockets are closed after this long (default 4 s, or less if the server says so). */
  keepAliveTimeoutMs?: number;
  /** Sockets per origin (default: unlimited). Requests past the cap wait for a free socket. */
  connections?: number;
  /** Status line + headers (and each trailer section) larger than this fail (default 64 KiB). */
  maxHeaderBytes?: number;
  /** TLS options for https origins (a private CA, or turning verification off for tests). */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
  /** The clock of the idle keep-alive timer (CORE-2; default: the system clock). */
  clock?: Clock;
}

export interface Http1Backend extends HttpBackend {
  /** Open sockets over every origin (observability and tests). */
  readonly sockets: number;
}

class Backend implements Http1Backend, PoolOwner {
  readonly name = "http1";
  readonly #opts: PoolOptions;
  readonly #pools = new Map<string, OriginPool>();
  readonly #clock: Clock;
  #sweepAt: number | undefined;
  #sweepTimer: Timer | undefined;
  #closed = false;

  constructor(options: Http1BackendOptions) {
    this.#clock = options.clock ?? systemClock;
    const positive = (v: number | undefined, name: string, def: number): number => {
      if (v === undefined) return def;
      if (!(v > 0))
        throw new NetError("Unsupported", `http1 backend: ${name} must be > 0, got ${v}`);
      return v;
    };
    this.#opts = {
      connectTimeoutMs: positive(options.connectTimeoutMs, "connectTimeoutMs", 30_000),
      keepAliveTimeoutMs: positive(options.keepAliveTimeoutMs, "keepAliveTimeoutMs", 4_000),
      connections: positive(options.connections, "connections", Number.POSITIVE_INFINITY),
      maxHeaderBytes: positive(options.maxHeaderBytes, "maxHeaderBytes", 64 * 1024),
      tls: options.tls,
    };
  }

  get sockets(): number {
    let n = 0;
    for (const pool of this.#pools.values()) n += pool.sockets;
    return n;
  }

  request(req: RawRequest): Promise<RawResponse> {
    if (this.#closed) {
      return Promise.reject(
        new NetError("Cancelled", `client is closed: ${req.url}`, { url: req.url }),
      );
    }
    let wire: string;
    try {
      wire = serializeHead(req);
    } catch (e) {
      return Promise.reject(e);
    }
    const r = new Http1Request(req, wire);
    if (!r.settled) {
      const t = req.target;
      const key = t.origin;
      let pool = this.#pools.get(key);
      if (pool === undefined) {
        pool = new OriginPool(key, t, this.#opts, this);
        this.#pools.set(key, pool);
      }
      pool.dispatch(r);
    }
    return r.head;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#sweepTimer?.cancel();
    this.#sweepTimer = undefined;
    const err = new NetError("Cancelled", "client is closed");
    for (const pool of [...this.#pools.values()]) pool.destroy(err);
    this.#pools.clear();
  }

  // --- PoolOwner ---------------------------------------------------------------------------

  now(): number {
    return this.#clock.now();
  }

  parked(conn: Connection): void {
    const due = conn.idleSince + conn.idleLimitMs;
    if (this.#sweepAt !== undefined && this.#sweepAt <= due) return;
    this.#arm(due);
  }

  empty(pool: OriginPool): void {
    if (this.#pools.get(pool.key) === pool) this.#pools.delete(pool.key);
  }

  /** ONE timer for every idle socket: armed for the earliest idle deadline. */
  #arm(due: number): void {
    this.#sweepTimer?.cancel();
    this.#sweepAt = due;
    this.#sweepTimer = this.#clock.setTimer(Math.max(0, due - this.#clock.now()), this.#sweep, {
      unref: true,
    });
  }

  readonly #sweep = (): void => {
    this.#sweepTimer = undefined;
    this.#sweepAt = undefined;
    const now = this.#clock.now();
    let next: number | undefined;
    for (const pool of [...this.#pools.values()]) {
      const due = pool.sweep(now);
      if (due !== undefined && (next === undefined || due < next)) next = due;
    }
    if (next !== undefined) this.#arm(next);
  };
}

export function createHttp1Backend(options: Http1BackendOptions = {}): Http1Backend {
  return new Backend(options);
}
