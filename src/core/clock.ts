/**
 * The injectable clock (CORE-2). Every sleep, timeout and `now()` in plectrum goes through a
 * `Clock`, so tests run on `VirtualClock` time instead of real sleeps.
 */
import { cancelledError } from "./errors.js";

export interface Timer {
  /** Stop the timer; idempotent. */
  cancel(): void;
}

export interface TimerOptions {
  /** A background timer that must not keep the process alive (watchdogs). Default false. */
  unref?: boolean;
}

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Run `fn` after `ms` milliseconds. */
  setTimer(ms: number, fn: () => void, options?: TimerOptions): Timer;
}

/** Production clock: `performance.now()` and real timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn, options) {
    const h = setTimeout(fn, Math.max(0, ms));
    if (options?.unref) h.unref?.();
    return { cancel: () => clearTimeout(h) };
  },
};

/**
 * Sleep `ms` on `clock`. With a signal, the sleep ends at once on abort and rejects with a
 * `Cancelled` NetError; the timer and the listener are always removed.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelledError(undefined, signal.reason));
      return;
    }
    const onAbort = () => {
      timer.cancel();
      reject(cancelledError(undefined, signal?.reason));
    };
    const timer = clock.setTimer(ms, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

interface VirtualTimer {
  at: number;
  order: number;
  fn: () => void;
  live: boolean;
}

/** Lets pending promise reactions and ready I/O callbacks run. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Virtual time for tests. Time stands still until `advance()`/`runAll()`; timers fire in
 * due order, and between firings pending promises and I/O get a turn, so code awaiting a
 * sleep resumes before the next timer fires.
 */
export class VirtualClock implements Clock {
  #now: number;
  #order = 0;
  #timers: VirtualTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): Timer {
    const t: VirtualTimer = {
      at: this.#now + Math.max(0, ms),
      order: this.#order++,
      fn,
      live: true,
    };
    this.#timers.push(t);
    return {
      cancel: () => {
        t.live = false;
      },
    };
  }

  /** Number of timers still scheduled. */
  get pendingTimers(): number {
    this.#timers = this.#timers.filter((t) => t.live);
    return this.#timers.length;
  }

  #nextDue(limit: number): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const t of this.#timers) {
      if (!t.live || t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.order < best.order)) best = t;
    }
    return best;
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flushMicrotasks();
    for (;;) {
      const t = this.#nextDue(target);
      if (!t) break;
      t.live = false;
      this.#now = Math.max(this.#now, t.at);
      t.fn();
      await flushMicrotasks();
    }
    this.#now = target;
    this.#timers = this.#timers.filter((t) => t.live);
    await flushMicrotasks();
  }

  /** Fire timers until none is left (bounded, so a self-rescheduling timer cannot hang). */
  async runAll(maxTimers = 10_000): Promise<void> {
    for (let i = 0; i < maxTimers; i++) {
      await flushMicrotasks();
      const t = this.#nextDue(Number.POSITIVE_INFINITY);
      if (!t) return;
      t.live = false;
      this.#now = Math.max(this.#now, t.at);
      t.fn();
    }
    throw new Error(`VirtualClock.runAll: more than ${maxTimers} timers fired`);
  }
}
