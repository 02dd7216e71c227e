import { afterAll, afterEach, beforeAll } from "vitest";
/** Test helpers for the net layer: a stepping virtual clock, body collection, an observer log. */
import { type Timer, VirtualClock } from "../../src/core/clock.js";
import type { NetObserver } from "../../src/net/types.js";
import { type FaultServer, startFaultServer } from "../support/fault-server.js";

/** A VirtualClock that knows when its next timer is due, so `pump` can step exactly to it. */
export class SteppingClock extends VirtualClock {
  readonly #due = new Set<{ at: number }>();

  override setTimer(ms: number, fn: () => void): Timer {
    const rec = { at: this.now() + Math.max(0, ms) };
    this.#due.add(rec);
    const t = super.setTimer(ms, () => {
      this.#due.delete(rec);
      fn();
    });
    return {
      cancel: () => {
        this.#due.delete(rec);
        t.cancel();
      },
    };
  }

  /** Timers armed and not yet fired or cancelled. */
  get armed(): number {
    return this.#due.size;
  }

  /** Milliseconds until the earliest pending timer, if any. */
  nextDueIn(): number | undefined {
    let best: number | undefined;
    for (const r of this.#due) if (best === undefined || r.at < best) best = r.at;
    return best === undefined ? undefined : best - this.now();
  }
}

/** One real-time tick: lets socket I/O progress. */
export const tick = () => new Promise<void>((r) => setTimeout(r, 1));

/**
 * Drive `p` to completion: whenever a timer is due within `maxStepMs` (backoff sleeps), jump
 * virtual time exactly to it; otherwise let real I/O run. Inactivity timers (longer than
 * `maxStepMs`) never fire here; a test fires them with an explicit `advance`.
 */
export async function pump<T>(clock: SteppingClock, p: Promise<T>, maxStepMs = 10_000): Promise<T> {
  let settled = false;
  const watched = p.finally(() => {
    settled = true;
  });
  watched.catch(() => {});
  while (!settled) {
    const d = clock.nextDueIn();
    if (d !== undefined && d <= maxStepMs) await clock.advance(d);
    else await tick();
  }
  return p;
}

/** Wait (real time, condition-based) until `cond()` holds. */
export async function until(cond: () => boolean, what = "condition"): Promise<void> {
  for (let i = 0; i < 20_000; i++) {
    if (cond()) return;
    await tick();
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

/** Expect `p` to reject; returns the error for further checks. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

export type Logged = { hook: string; info: Record<string, unknown> };

/** An observer that records every hook call in order. */
export function recorder(): { log: Logged[]; observer: NetObserver; hooks: () => string[] } {
  const log: Logged[] = [];
  const rec = (hook: string) => (info: object) => {
    log.push({ hook, info: info as Record<string, unknown> });
  };
  return {
    log,
    observer: {
      firstByte: rec("firstByte"),
      retrying: rec("retrying"),
      bodyStalled: rec("bodyStalled"),
      bodyResumed: rec("bodyResumed"),
      retryExhausted: rec("retryExhausted"),
    },
    hooks: () => log.map((l) => l.hook),
  };
}

export const BACKENDS = ["http1", "undici", "fetch"] as const;

/**
 * One fault server for a test file: started before all tests, its faults cleared after each,
 * closed after all. Returns the accessor (the server exists only once `beforeAll` ran).
 */
export function useFaultServer(): () => FaultServer {
  let server: FaultServer | undefined;
  beforeAll(async () => {
    server = await startFaultServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(() => {
    server?.clearFaults();
  });
  return () => {
    if (!server) throw new Error("the fault server starts in beforeAll");
    return server;
  };
}
