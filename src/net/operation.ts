/**
 * One operation (getBytes/stream/getRange/head): a plain abort state fed by the caller's
 * signal, the optional total deadline (NET-2) and client close, and the whole-request retry
 * loop (NET-4, NET-5). No AbortController of its own: an abort is pushed straight to the
 * running attempt's guard (whose controller is the one undici sees) and to a retry sleep.
 */
import type { Timer } from "../core/clock.js";
import { sleep } from "../core/clock.js";
import { NetError } from "../core/errors.js";
import { retryDelay } from "./backoff.js";
import { retryAfterOf, toNetError } from "./errors.js";
import { type AttemptGuard, abortError } from "./signals.js";
import type { NetConfig, NetObserver } from "./types.js";

/**
 * The running operations of one client (so `close()` can abort them): an intrusive list
 * through the operations, not a Set, and no closure per operation (BENCH-1: per-request
 * add/delete in a long-lived Set kept per-request garbage alive past young collections).
 */
export class OperationList {
  #head: Operation | undefined;

  add(op: Operation): void {
    op.listNext = this.#head;
    if (this.#head) this.#head.listPrev = op;
    this.#head = op;
  }

  remove(op: Operation): void {
    const { listPrev: prev, listNext: next } = op;
    if (prev) prev.listNext = next;
    else if (this.#head === op) this.#head = next;
    else return; // not listed
    if (next) next.listPrev = prev;
    op.listPrev = op.listNext = undefined;
  }

  /** The operations running now (a copy: finishing one while iterating is fine). */
  toArray(): Operation[] {
    const out: Operation[] = [];
    for (let op = this.#head; op; op = op.listNext) out.push(op);
    return out;
  }
}

export class Operation {
  /** Links in the client's `OperationList` (managed by the list only). */
  listPrev: Operation | undefined;
  listNext: Operation | undefined;
  readonly #deadline: Timer | undefined;
  readonly #list: OperationList;
  readonly #caller: AbortSignal | undefined;
  /** The listener on the caller's signal (made only when there is one). */
  readonly #onCallerAbort: (() => void) | undefined;
  #reason: NetError | undefined;
  /** The attempt running now (attempts of one operation never overlap). */
  #attempt: AttemptGuard | undefined;
  /** Only while a retry backoff sleeps. */
  #sleeping: AbortController | undefined;
  #finished = false;

  constructor(
    readonly cfg: NetConfig,
    readonly url: string,
    callerSignal: AbortSignal | undefined,
    list: OperationList,
  ) {
    this.#list = list;
    list.add(this);
    if (callerSignal?.aborted) this.#reason = abortError(callerSignal, url);
    else if (callerSignal) {
      this.#caller = callerSignal;
      this.#onCallerAbort = () => this.abort(abortError(callerSignal, url));
      callerSignal.addEventListener("abort", this.#onCallerAbort, { once: true });
    }
    const ms = cfg.totalDeadlineMs;
    this.#deadline =
      ms === undefined
        ? undefined
        : cfg.clock.setTimer(ms, () => {
            this.abort(
              new NetError("Timeout", `total deadline of ${ms} ms passed: ${url}`, { url }),
            );
          });
  }

  get aborted(): boolean {
    return this.#reason !== undefined;
  }

  /** Abort everything this operation runs; the first reason wins. */
  abort(reason: NetError): void {
    if (this.#reason) return;
    this.#reason = reason;
    this.#attempt?.abort(reason);
    this.#sleeping?.abort(reason);
  }

  /** Route aborts to `guard` while it runs; an already aborted operation aborts it at once. */
  attach(guard: AttemptGuard): void {
    this.#attempt = guard;
    if (this.#reason) guard.abort(this.#reason);
  }

  detach(guard: AttemptGuard): void {
    if (this.#attempt === guard) this.#attempt = undefined;
  }

  /** The error to end with once aborted (Cancelled, the deadline Timeout, or close). */
  abortError(): NetError {
    return this.#reason ?? new NetError("Cancelled", `cancelled: ${this.url}`, { url: this.url });
  }

  /** Sleep on the clock; ends at once with the abort error when the operation is aborted. */
  async sleep(ms: number): Promise<void> {
    if (this.#reason) throw this.#reason;
    const ctrl = new AbortController();
    this.#sleeping = ctrl;
    try {
      await sleep(this.cfg.clock, ms, ctrl.signal);
    } catch {
      throw this.abortError();
    } finally {
      this.#sleeping = undefined;
    }
  }

  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#deadline?.cancel();
    if (this.#onCallerAbort) this.#caller?.removeEventListener("abort", this.#onCallerAbort);
    this.#list.remove(this);
  }

  /** RetryExhausted{max, cause} and the observer's `retryExhausted` (NET-4). */
  exhausted(observer: NetObserver | undefined, error: NetError, consumed: number): NetError {
    const max = this.cfg.maxRetries;
    observer?.retryExhausted?.({ maxRetries: max, consumed, error });
    return new NetError("RetryExhausted", `gave up after ${max} retries (${error.message})`, {
      url: this.url,
      maxRetries: max,
      cause: error,
    });
  }

  /**
   * NET-4/NET-5: run `attempt` until it succeeds, a fatal error, or the budget is spent.
   * Delay before retry n (0-based) is `retryDelay(n)`; a Retry-After up to maxRetryAfter
   * replaces it, a longer one ends retrying with the status error.
   */
  async retry<T>(observer: NetObserver | undefined, attempt: () => Promise<T>): Promise<T> {
    const { maxRetries, maxRetryAfterMs } = this.cfg;
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (e) {
        if (this.#reason) throw this.#reason;
        const err = toNetError(e, this.url);
        if (!err.retryable || maxRetries === 0) throw err;
        if (n >= maxRetries) throw this.exhausted(observer, err, 0);
        let backoff = retryDelay(n, this.cfg);
        const after = retryAfterOf(err);
        if (after !== undefined) {
          if (after > maxRetryAfterMs) throw err;
          backoff = after;
        }
        observer?.retrying?.({ attempt: n + 1, maxRetries, error: err, backoff });
        await this.sleep(backoff);
      }
    }
  }
}
