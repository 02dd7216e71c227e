/**
 * Abort plumbing: `AttemptGuard`, one attempt's abort state (handed to the backend as the
 * request's `signal`/`onAbort`), which races each step (headers, a body chunk, an
 * error-body read) against the inactivity budget (NET-2) and against abort. The operation
 * pushes its abort to the attached guard. `InactivityMonitor`: ONE timer per client serves
 * the pending steps of every attempt; `dispose()` detaches a guard and ends its step.
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
 * The inactivity budget of every pending step of one client (NET-2), on ONE timer instead
 * of one per attempt. Every step has the same budget, so the timer is armed for the oldest
 * pending step's deadline; when it fires, steps past their deadline time out and it re-arms
 * for the next one (a step times out exactly `ms` after it began, never later). The timer
 * exists only while some step is pending.
 */
export class InactivityMonitor {
  readonly clock: Clock;
  readonly ms: number;
  /**
   * Pending steps, oldest first: an intrusive list through the guards (`pendingPrev/Next`),
   * ordered by `since` because a step is appended when it begins. Not a Set: adding and
   * deleting a guard per step in a long-lived Set kept the guards alive past young-generation
   * collections and cost a third of the client's CPU in GC (BENCH-1).
   */
  #head: AttemptGuard | undefined;
  #tail: AttemptGuard | undefined;
  #timer: Timer | undefined;

  constructor(clock: Clock, ms: number) {
    this.clock = clock;
    this.ms = ms;
  }

  /** `guard`'s step began (its `since` is set). */
  begin(guard: AttemptGuard): void {
    if (guard.pending) this.#unlink(guard);
    guard.pending = true;
    guard.pendingPrev = this.#tail;
    guard.pendingNext = undefined;
    if (this.#tail) this.#tail.pendingNext = guard;
    else this.#head = guard;
    this.#tail = guard;
    this.#timer ??= this.clock.setTimer(this.ms, this.#fire);
  }

  /** `guard`'s step settled or the guard went away. */
  end(guard: AttemptGuard): void {
    if (!guard.pending) return;
    this.#unlink(guard);
    if (this.#head !== undefined) return;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #unlink(g: AttemptGuard): void {
    const { pendingPrev: prev, pendingNext: next } = g;
    if (prev) prev.pendingNext = next;
    else this.#head = next;
    if (next) next.pendingPrev = prev;
    else this.#tail = prev;
    g.pending = false;
    g.pendingPrev = g.pendingNext = undefined;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const now = this.clock.now();
    // Oldest first: stop at the first step still within its budget. A step begun by a
    // timed-out guard's teardown joins the tail with `since = now`, so the loop ends there.
    for (let g = this.#head; g !== undefined && g.since + this.ms <= now; g = this.#head) {
      this.#unlink(g);
      g.timedOut();
    }
    const head = this.#head;
    if (head !== undefined) {
      // A teardown may have armed a timer already (TS narrowed the field to undefined above).
      (this.#timer as Timer | undefined)?.cancel();
      this.#timer = this.clock.setTimer(head.since + this.ms - now, this.#fire);
    }
  };
}

/**
 * One attempt's abort state (attached to its operation) and its inactivity guard.
 * `step(p)` settles with `p`, or rejects with Timeout once `ms` pass without `p` settling
 * (aborting the attempt, which tears the transport down), or rejects at once when the
 * attempt is aborted. Steps run one at a time; while one is pending the guard is in its
 * client's `InactivityMonitor` (a consumer that stops pulling is never timed out).
 * The abort reaches the transport through the teardown it registered (`onAbort`) and, only
 * if a backend asked for one, an AbortSignal created on demand.
 */
export class AttemptGuard {
  /** The URL errors name (changes with redirect hops). */
  url: string;
  /** When the pending step began (clock time). */
  since = 0;
  /** In its monitor's list of pending steps (managed by `InactivityMonitor` only). */
  pending = false;
  pendingPrev: AttemptGuard | undefined;
  pendingNext: AttemptGuard | undefined;
  readonly #op: Operation;
  readonly #monitor: InactivityMonitor;
  #aborted = false;
  #reason: unknown;
  #ctrl: AbortController | undefined;
  #teardown: Teardown | undefined;
  #what = "";
  /** The pending step's settlers (set while a step is pending). */
  #resolve: ((v: unknown) => void) | undefined;
  #reject: ((e: unknown) => void) | undefined;

  constructor(op: Operation, monitor: InactivityMonitor, url: string) {
    this.#op = op;
    this.#monitor = monitor;
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
    if (reject) {
      this.#monitor.end(this);
      reject(this.#error());
    }
  }

  /** The monitor found the pending step past its budget. */
  timedOut(): void {
    if (this.#reject) this.abort(timeoutError(this.url, this.#monitor.ms, this.#what));
  }

  step<T>(p: Promise<T>, what: string): Promise<T> {
    if (this.#aborted) {
      p.catch(() => {});
      return Promise.reject(this.#error());
    }
    this.since = this.#monitor.clock.now();
    this.#what = what;
    // The settlers are bound once per attempt, not per step: steps run one at a time, and a
    // step's promise settles before the next step starts unless the attempt was aborted
    // (then every later step rejects at once and a late settlement finds no settlers).
    const out = new Promise<T>(
      this.#capture as (res: (v: T) => void, rej: (e: unknown) => void) => void,
    );
    this.#monitor.begin(this);
    p.then(this.#onValue, this.#onError);
    return out;
  }

  readonly #capture = (resolve: (v: unknown) => void, reject: (e: unknown) => void): void => {
    this.#resolve = resolve;
    this.#reject = reject;
  };

  readonly #onValue = (v: unknown): void => {
    const resolve = this.#resolve;
    if (!resolve) return;
    this.#resolve = this.#reject = undefined;
    this.#monitor.end(this);
    resolve(v);
  };

  readonly #onError = (e: unknown): void => {
    const reject = this.#reject;
    if (!reject) return;
    this.#resolve = this.#reject = undefined;
    this.#monitor.end(this);
    reject(this.#aborted ? this.#error() : e);
  };

  /** Detach from the operation, drop the teardown and leave the monitor. Idempotent. */
  dispose(): void {
    this.#monitor.end(this);
    this.#teardown = undefined;
    this.#op.detach(this);
  }
}
