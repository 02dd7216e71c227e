/**
 * Abort plumbing: linked controllers (caller -> operation -> attempt) and `guard`, which
 * races one step (headers, a body chunk, an error-body read) against the inactivity timer
 * (NET-2) and against abort. Every listener and timer is removed when the step settles.
 */
import type { Clock } from "../core/clock.js";
import { cancelledError, NetError } from "../core/errors.js";

/** A controller aborted when `parent` aborts; `release()` removes the link. */
export interface Linked {
  ctrl: AbortController;
  release(): void;
}

export function linkedController(parent: AbortSignal | undefined): Linked {
  const ctrl = new AbortController();
  if (!parent) return { ctrl, release: () => {} };
  if (parent.aborted) {
    ctrl.abort(parent.reason);
    return { ctrl, release: () => {} };
  }
  const onAbort = () => ctrl.abort(parent.reason);
  parent.addEventListener("abort", onAbort, { once: true });
  return { ctrl, release: () => parent.removeEventListener("abort", onAbort) };
}

/** The NetError an aborted signal stands for: our own Timeout reasons pass through, anything else is Cancelled. */
export function abortError(signal: AbortSignal, url: string): NetError {
  const r: unknown = signal.reason;
  return r instanceof NetError ? r : cancelledError(url, r);
}

export function timeoutError(url: string, ms: number, what: string): NetError {
  return new NetError("Timeout", `no progress for ${ms} ms while ${what}: ${url}`, { url });
}

export interface GuardOptions {
  clock: Clock;
  /** Inactivity budget for this step. */
  ms: number;
  /** Aborted (with a Timeout reason) when the step times out; its abort also ends the step. */
  ctrl: AbortController;
  url: string;
  what: string;
}

/**
 * Settle with `p`, or reject with Timeout after `ms` (aborting `ctrl`, which tears the
 * transport down), or reject at once when `ctrl` aborts for another reason.
 */
export function guard<T>(p: Promise<T>, o: GuardOptions): Promise<T> {
  const signal = o.ctrl.signal;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      p.catch(() => {});
      reject(abortError(signal, o.url));
      return;
    }
    const cleanup = () => {
      timer.cancel();
      signal.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      cleanup();
      reject(abortError(signal, o.url));
    };
    const timer = o.clock.setTimer(o.ms, () => {
      o.ctrl.abort(timeoutError(o.url, o.ms, o.what));
    });
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (e: unknown) => {
        cleanup();
        reject(signal.aborted ? abortError(signal, o.url) : e);
      },
    );
  });
}
