/**
 * One operation (getBytes/stream/getRange/head): a controller linked to the caller's signal,
 * the optional total deadline (NET-2), and the whole-request retry loop (NET-4, NET-5).
 */
import type { Timer } from "../core/clock.js";
import { sleep } from "../core/clock.js";
import { NetError } from "../core/errors.js";
import { retryDelay } from "./backoff.js";
import { retryAfterOf, toNetError } from "./errors.js";
import { abortError, type Linked, linkedController } from "./signals.js";
import type { NetConfig, NetObserver } from "./types.js";

export class Operation {
  readonly #link: Linked;
  readonly #deadline: Timer | undefined;
  readonly #onFinish: (op: Operation) => void;
  #finished = false;

  constructor(
    readonly cfg: NetConfig,
    readonly url: string,
    callerSignal: AbortSignal | undefined,
    onFinish: (op: Operation) => void,
  ) {
    this.#link = linkedController(callerSignal);
    this.#onFinish = onFinish;
    const ms = cfg.totalDeadlineMs;
    this.#deadline =
      ms === undefined
        ? undefined
        : cfg.clock.setTimer(ms, () => {
            this.#link.ctrl.abort(
              new NetError("Timeout", `total deadline of ${ms} ms passed: ${url}`, { url }),
            );
          });
  }

  get signal(): AbortSignal {
    return this.#link.ctrl.signal;
  }

  /** Abort everything this operation runs (client close). */
  abort(reason: NetError): void {
    this.#link.ctrl.abort(reason);
  }

  /** The error to end with when the operation's signal fired (Cancelled or the deadline Timeout). */
  abortError(): NetError {
    return abortError(this.signal, this.url);
  }

  /** Sleep on the clock; ends at once with the abort error when the operation is aborted. */
  async sleep(ms: number): Promise<void> {
    try {
      await sleep(this.cfg.clock, ms, this.signal);
    } catch {
      throw this.abortError();
    }
  }

  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#deadline?.cancel();
    this.#link.release();
    this.#onFinish(this);
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
        if (this.signal.aborted) throw this.abortError();
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
