/** Downloader configuration and its DL-1 defaults. */
import type { AbrSettings } from "../abr/controller.js";
import type { AbrRegistry } from "../abr/types.js";
import type { CancelToken } from "../core/cancel.js";
import { type Clock, systemClock } from "../core/clock.js";
import type { EventBus } from "../events/bus.js";
import type { HttpClient } from "../net/types.js";
import { DownloaderConfigError } from "./errors.js";

export interface PreemptOptions {
  /** Urgent work that waited this long behind a cap full of demand fetches pre-empts one (DL-16). */
  afterMs: number;
}

export interface DownloaderOptions<A extends AbrRegistry = AbrRegistry> {
  /** Global cap on fetches in flight, both paths, all peers. 0 parks everything. Default 5. */
  maxConcurrent?: number;
  /** LoadSlow / onSlow after this long in flight (DL-10). Default 2 000 ms. */
  softTimeoutMs?: number;
  /** Wait before each demand batch, cut short by urgent work (DL-5). Default 0. */
  demandThrottleMs?: number;
  /** HangDetected after this long without progress while fetches are in flight (DL-15). Default 60 000 ms. */
  hangTimeoutMs?: number;
  /** Pre-emption of demand fetches by waiting urgent work (DL-16). Off by default. */
  preempt?: PreemptOptions;
  /** The HTTP client every fetch goes through. Default: `createHttpClient()`, owned and closed by the downloader. */
  http?: HttpClient;
  /** The ABR controller fed with peers and bandwidth samples. Default: `createAbrController({ clock, ...abrSettings })`. */
  abr?: A;
  /** Settings of the default ABR controller (DL-1 "abr settings"); ignored when `abr` is given. */
  abrSettings?: AbrSettings;
  /** Time source for waits, timers and event timestamps (CORE-2). Default: the system clock. */
  clock?: Clock;
  /** Cancelling this token shuts the downloader down (DL-14). */
  parent?: CancelToken;
  /** Downloader-level events (HangDetected) go here; peer buses default to children of it. */
  bus?: EventBus;
}

export interface ResolvedConfig {
  maxConcurrent: number;
  softTimeoutMs: number;
  demandThrottleMs: number;
  hangTimeoutMs: number;
  preemptAfterMs: number | undefined;
  clock: Clock;
}

export const DEFAULTS = {
  maxConcurrent: 5,
  softTimeoutMs: 2_000,
  demandThrottleMs: 0,
  hangTimeoutMs: 60_000,
} as const;

function nonNegative(name: string, value: number, integer: boolean): number {
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    const what = integer ? "a non-negative integer" : "a non-negative finite number";
    throw new DownloaderConfigError(`${name} must be ${what}, got ${value}`);
  }
  return value;
}

export function resolveConfig<A extends AbrRegistry>(o: DownloaderOptions<A>): ResolvedConfig {
  return {
    maxConcurrent: nonNegative("maxConcurrent", o.maxConcurrent ?? DEFAULTS.maxConcurrent, true),
    softTimeoutMs: nonNegative("softTimeoutMs", o.softTimeoutMs ?? DEFAULTS.softTimeoutMs, false),
    demandThrottleMs: nonNegative(
      "demandThrottleMs",
      o.demandThrottleMs ?? DEFAULTS.demandThrottleMs,
      false,
    ),
    hangTimeoutMs: nonNegative("hangTimeoutMs", o.hangTimeoutMs ?? DEFAULTS.hangTimeoutMs, false),
    preemptAfterMs:
      o.preempt === undefined
        ? undefined
        : nonNegative("preempt.afterMs", o.preempt.afterMs, false),
    clock: o.clock ?? systemClock,
  };
}
