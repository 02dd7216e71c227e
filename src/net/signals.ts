/**
 * Abort plumbing: `AttemptGuard`, one attempt's controller (the only AbortController of a
 * request, handed to the backend), which races each step (headers, a body chunk, an
 * error-body read) against the inactivity timer (NET-2) and against abort. The operation
 * pushes its abort to the attached guard; one lazily re-armed timer serves every step of
 * the attempt; `dispose()` detaches the guard and cancels the timer.
 */
import type { Clock, Timer } from "../core/clock.js";
import { cancelledError, NetError } from "../core/errors.js";
import type { Operation } from "./operation.js";

/** The NetError an aborted signal stands for: our own Timeout reasons pass through, anything else is Cancelled. */
export function abortError(signal: AbortSignal, url: string): NetError {
  const r: unknown = signal.reason;
  return r instanceof NetError ? r : cancelledError(url, r);
}

export function timeoutError(url: string, ms: number, what: string): NetError {
  return new NetError("Timeout", `no progress for ${ms} ms while ${what}: ${url}`, { url });
}

/**
 * One attempt's controller (attached to its operation) and its inactivity guard.
 * `step(p)` settles with `p`, or rejects with Timeout once `ms` pass without `p` settling
 * (aborting the controller, which tears the transport down), or rejects at once when the
 * attempt is aborted. Steps run one at a time. The timer is not re-created per step: when
 * it fires it re-arms itself for the rest of the current step's budget, and stays off while
 * no step is pending (a consumer that stops pulling is never timed out).
 */
export class AttemptGuard {
  readonly ctrl = new AbortController();
  /** The URL errors name (changes with redirect hops). */
  url: string;
  readonly #op: Operation;
  readonly #clock: Clock;
  readonly #ms: number;
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

  get signal(): AbortSignal {
    return this.ctrl.signal;
  }

  /** Abort the attempt; a pending step rejects with `reason`'s NetError. */
  abort(reason: unknown): void {
    if (this.ctrl.signal.aborted) return;
    this.ctrl.abort(reason);
    const reject = this.#reject;
    this.#resolve = this.#reject = undefined;
    reject?.(abortError(this.ctrl.signal, this.url));
  }

  step<T>(p: Promise<T>, what: string): Promise<T> {
    const signal = this.ctrl.signal;
    if (signal.aborted) {
      p.catch(() => {});
      return Promise.reject(abortError(signal, this.url));
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
    const signal = this.ctrl.signal;
    reject?.(signal.aborted ? abortError(signal, this.url) : e);
  };

  readonly #onTimer = () => {
    this.#timer = undefined;
    if (!this.#reject) return;
    const left = this.#since + this.#ms - this.#clock.now();
    if (left > 0) this.#timer = this.#clock.setTimer(left, this.#onTimer);
    else this.abort(timeoutError(this.url, this.#ms, this.#what));
  };

  /** Detach from the operation and cancel the timer. Idempotent. */
  dispose(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#op.detach(this);
  }
}
