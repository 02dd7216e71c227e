/**
 * Abort plumbing: `AttemptGuard`, one attempt's abort state (handed to the backend as the
 * request's `signal`/`onAbort`), which races each step (headers, a body chunk, an
 * error-body read) against the inactivity timer (NET-2) and against abort. The operation
 * pushes its abort to the attached guard; one lazily re-armed timer serves every step of
 * the attempt; `dispose()` detaches the guard and cancels the timer.
 */
import type { Clock, Timer } from "../core/clock.js";
import { cancelledError, NetError } from "../core/errors.js";
import type { Operation } from "./operation.js";

/** The NetError an abort reason stands for: our own Timeout reasons pass through, anything else is Cancelled. */
export function reasonError(reason: unknown, url: string): NetError {
  return reason instanceof NetError ? reason : cancelledError(url, reason);
}

/** The NetError an aborted signal stands for (see `reasonError`). */
export function abortError(signal: AbortSignal, url: string): NetError {
  return reasonError(signal.reason, url);
}

export function timeoutError(url: string, ms: number, what: string): NetError {
  return new NetError("Timeout", `no progress for ${ms} ms while ${what}: ${url}`, { url });
}

type Teardown = (reason: unknown) => void;

/**
 * One attempt's abort state (attached to its operation) and its inactivity guard.
 * `step(p)` settles with `p`, or rejects with Timeout once `ms` pass without `p` settling
 * (aborting the attempt, which tears the transport down), or rejects at once when the
 * attempt is aborted. Steps run one at a time. The timer is not re-created per step: when
 * it fires it re-arms itself for the rest of the current step's budget, and stays off while
 * no step is pending (a consumer that stops pulling is never timed out).
 * The abort reaches the transport through the teardown it registered (`onAbort`) and, only
 * if a backend asked for one, an AbortSignal created on demand.
 */
export class AttemptGuard {
  /** The URL errors name (changes with redirect hops). */
  url: string;
  readonly #op: Operation;
  readonly #clock: Clock;
  readonly #ms: number;
  #aborted = false;
  #reason: unknown;
  #ctrl: AbortController | undefined;
  #teardown: Teardown | undefined;
  #timer: Timer | undefined;
  #since = 0;
  #what = "";
  /** The pending step's settlers (set while a step is pending). */
  #resolve: ((v: unknown) => void) | undefined;
  #reject: ((e: unknown) => void) | undefined;

  constructor(op: Operation, clock: Clock, ms: number, url: string) {
    this.#op = op;
    this.#clock = clock;
    this.#ms = ms;
    this.url = url;
    op.attach(this);
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /** An AbortSignal mirroring this attempt (created on first use; for backends that need one). */
  get signal(): AbortSignal {
    if (this.#ctrl === undefined) {
      this.#ctrl = new AbortController();
      if (this.#aborted) this.#ctrl.abort(this.#reason);
    }
    return this.#ctrl.signal;
  }

  /** Register the transport's teardown (see `RawRequest.onAbort`). */
  readonly onAbort = (teardown: Teardown): void => {
    if (this.#aborted) teardown(this.#reason);
    else this.#teardown = teardown;
  };

  #error(): NetError {
    return reasonError(this.#reason, this.url);
  }

  /** Abort the attempt; a pending step rejects with `reason`'s NetError. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const teardown = this.#teardown;
    this.#teardown = undefined;
    teardown?.(reason);
    this.#ctrl?.abort(reason);
    const reject = this.#reject;
    this.#resolve = this.#reject = undefined;
    reject?.(this.#error());
  }

  step<T>(p: Promise<T>, what: string): Promise<T> {
    if (this.#aborted) {
      p.catch(() => {});
      return Promise.reject(this.#error());
    }
    this.#since = this.#clock.now();
    this.#what = what;
    this.#timer ??= this.#clock.setTimer(this.#ms, this.#onTimer);
    // The settlers are bound once per attempt, not per step: steps run one at a time, and a
    // step's promise settles before the next step starts unless the attempt was aborted
    // (then every later step rejects at once and a late settlement finds no settlers).
    const out = new Promise<T>(
      this.#capture as (res: (v: T) => void, rej: (e: unknown) => void) => void,
    );
    p.then(this.#onValue, this.#onError);
    return out;
  }

  readonly #capture = (resolve: (v: unknown) => void, reject: (e: unknown) => void): void => {
    this.#resolve = resolve;
    this.#reject = reject;
  };

  readonly #onValue = (v: unknown): void => {
    const resolve = this.#resolve;
    this.#resolve = this.#reject = undefined;
    resolve?.(v);
  };

  readonly #onError = (e: unknown): void => {
    const reject = this.#reject;
    this.#resolve = this.#reject = undefined;
    reject?.(this.#aborted ? this.#error() : e);
  };

  readonly #onTimer = () => {
    this.#timer = undefined;
    if (!this.#reject) return;
    const left = this.#since + this.#ms - this.#clock.now();
    if (left > 0) this.#timer = this.#clock.setTimer(left, this.#onTimer);
    else this.abort(timeoutError(this.url, this.#ms, this.#what));
  };

  /** Detach from the operation, drop the teardown and cancel the timer. Idempotent. */
  dispose(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#teardown = undefined;
    this.#op.detach(this);
  }
}
