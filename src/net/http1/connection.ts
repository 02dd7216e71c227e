/**
 * One keep-alive socket carrying one request at a time (no pipelining). It feeds socket bytes
 * to its parser and tells its pool when the response is complete (`released`: reusable or
 * not) or the socket is gone (`closed`). A socket is reused only when the response said so
 * (`keepAlive`), the parser ended exactly at the end of the bytes received, and nothing
 * failed; anything else destroys it.
 */
import type { Socket } from "node:net";
import { NetError } from "../../core/errors.js";
import { lend } from "../../core/lending.js";
import { toNetError } from "../errors.js";
import { InvalidResponse, ResponseParser } from "./parser.js";
import type { Carrier, Http1Request } from "./request.js";
import { returnSlab, SLAB_BYTES } from "./slabs.js";

/** What a connection tells its pool. */
export interface ConnectionOwner {
  /** The response ended; the connection is idle and reusable. */
  released(conn: Connection): void;
  /** The socket is gone (destroyed, closed by the server, or failed). */
  closed(conn: Connection): void;
  /** `req` met a stale keep-alive socket before any response byte: send it again, fresh. */
  resend(req: Http1Request): void;
}

export class Connection implements Carrier {
  readonly socket: Socket;
  readonly #owner: ConnectionOwner;
  readonly #parser: ResponseParser;
  #req: Http1Request | undefined;
  #uses = 0;
  #gone = false;
  /** When the connection went idle (ms, the backend's clock) and how long it may stay idle. */
  idleSince = 0;
  idleLimitMs = 0;
  /** The server's `keep-alive: timeout` hint from the last response, in ms. */
  idleHintMs: number | undefined;

  /**
   * `ready`: the socket event after which it can carry bytes ("connect", "secureConnect").
   * `slabReads`: the socket reads into slabs (`read` is its `onread` callback).
   */
  constructor(
    socket: Socket,
    owner: ConnectionOwner,
    maxHeaderBytes: number,
    connectTimeoutMs: number,
    ready: string,
    slabReads: boolean,
  ) {
    this.socket = socket;
    this.#owner = owner;
    // Slab-read sockets copy small body pieces, so a slab that carried only a small response
    // goes straight back instead of being lent (and dropped) for 1 KiB of body.
    this.#parser = new ResponseParser(maxHeaderBytes, slabReads ? SLAB_BYTES / 4 : 0);
    socket.setNoDelay(true);
    socket.setTimeout(connectTimeoutMs, this.#onConnectTimeout);
    socket.once(ready, this.#onConnected);
    // Sockets made with `onread` (plain TCP) call `read` instead of emitting "data".
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
  }

  get busy(): boolean {
    return this.#req !== undefined;
  }

  get gone(): boolean {
    return this.#gone;
  }

  /** Carry `req`: write its head and parse the answer. */
  send(req: Http1Request): void {
    this.#req = req;
    this.#uses++;
    req.attach(this);
    this.#parser.reset(req, req.noBody);
    if (this.#uses > 1) this.socket.ref();
    this.socket.write(req.wire, "latin1");
  }

  /** Park the idle connection: it must not keep the process alive. */
  park(idleLimitMs: number, now: number): void {
    this.idleSince = now;
    this.idleLimitMs = idleLimitMs;
    this.socket.resume();
    this.socket.unref();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /**
   * Tear the socket down. A request still attached (waiting for its head or mid-body) fails
   * with `reason`, else with a Network error: nothing is left pending (CORE-4).
   */
  destroy(reason?: unknown): void {
    if (this.#gone) return;
    this.#gone = true;
    const req = this.#req;
    this.#req = undefined;
    this.socket.destroy();
    if (req !== undefined) {
      req.fail(
        reason ?? new NetError("Network", `connection closed: ${req.url}`, { url: req.url }),
      );
    }
    this.#owner.closed(this);
  }

  // --- socket events ---------------------------------------------------------------------

  readonly #onConnected = (): void => {
    this.socket.setTimeout(0);
  };

  readonly #onConnectTimeout = (): void => {
    const req = this.#req;
    this.#req = undefined;
    req?.fail(new NetError("Timeout", `connect timed out: ${req.url}`, { url: req.url }));
    this.destroy();
  };

  /**
   * The `onread` callback of plain-TCP sockets: `n` bytes landed in `slab` (from slabs.ts).
   * With no body view cut from it the slab goes straight back; with one it is lent with that
   * view; with more it is left to the GC.
   */
  readonly read = (n: number, slab: Buffer): void => {
    this.#onData(slab.subarray(0, n));
    const views = this.#parser.views;
    const view = this.#parser.lastView;
    if (views === 0) returnSlab(slab);
    else if (views === 1 && view !== undefined && view.buffer === slab.buffer) {
      lend(view, () => returnSlab(slab));
    }
  };

  readonly #onData = (data: Buffer): void => {
    const req = this.#req;
    if (req === undefined) {
      // Bytes nobody asked for on an idle socket: it can never be trusted again.
      this.destroy();
      return;
    }
    let used: number;
    try {
      used = this.#parser.execute(data);
    } catch (e) {
      this.#failRequest(e);
      return;
    }
    if (!this.#parser.done) return;
    this.#req = undefined;
    this.idleHintMs = req.idleHintMs;
    if (used === data.length && req.keepAlive && !this.#gone) this.#owner.released(this);
    else this.destroy();
  };

  readonly #onEnd = (): void => {
    const req = this.#req;
    if (req === undefined) {
      this.destroy();
      return;
    }
    if (this.#staleRetry(req)) return;
    try {
      this.#parser.finish();
    } catch (e) {
      this.#failRequest(e);
      return;
    }
    this.#req = undefined;
    this.destroy();
  };

  readonly #onError = (err: Error): void => {
    const req = this.#req;
    if (req !== undefined && !this.#staleRetry(req)) this.#failRequest(err);
    this.destroy();
  };

  readonly #onClose = (): void => {
    const req = this.#req;
    if (req !== undefined && !this.#staleRetry(req)) {
      this.#failRequest(new InvalidResponse("connection closed before the end of the response"));
    }
    this.destroy();
  };

  /**
   * A reused socket that ends or fails before any byte of the answer was closed by the server
   * while idle: the request never reached it, so it goes again on a fresh connection (once).
   */
  #staleRetry(req: Http1Request): boolean {
    if (this.#uses < 2 || this.#parser.received || req.retried) return false;
    req.retried = true;
    this.#req = undefined;
    req.attach(undefined);
    // Resend before this socket is gone: with it the pool would count no socket and no waiting
    // request, drop itself from the backend, and the fresh socket would belong to nobody.
    this.#owner.resend(req);
    this.destroy();
    return true;
  }

  #failRequest(err: unknown): void {
    const req = this.#req;
    this.#req = undefined;
    if (req !== undefined) {
      req.fail(
        err instanceof InvalidResponse
          ? new NetError("Network", `invalid HTTP response: ${err.message}: ${req.url}`, {
              url: req.url,
              cause: err,
            })
          : toNetError(err, req.url),
      );
    }
    this.destroy();
  }
}
