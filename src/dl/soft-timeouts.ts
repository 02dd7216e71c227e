/**
 * DL-10 soft timeouts with one timer for all fetches in flight. Fetches start in dispatch
 * order, so their soft deadlines (start + `softTimeoutMs`) are in that order too: the timer
 * only ever waits for the oldest fetch not yet reported, and a fetch that ends costs nothing.
 */
import type { Clock, Timer } from "../core/clock.js";
import type { Entry } from "./entry.js";

export class SoftTimeouts {
  readonly #clock: Clock;
  readonly #ms: number;
  /** The downloader's fetches in flight, in dispatch order. */
  readonly #running: ReadonlySet<Entry>;
  #timer: Timer | undefined;

  constructor(clock: Clock, ms: number, running: ReadonlySet<Entry>) {
    this.#clock = clock;
    this.#ms = ms;
    this.#running = running;
  }

  /** A fetch was dispatched: make sure the timer waits for the oldest unreported one. */
  started(): void {
    if (!this.#timer) this.#armNext();
  }

  /** Nothing is in flight any more: no timer (an idle downloader holds none). */
  idle(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Report every fetch past its deadline (once each), then wait for the next deadline. */
  #fire(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    for (const e of this.#running) {
      const run = e.run;
      if (!run || run.slowReported) continue;
      if (run.startedAt + this.#ms > now) break;
      run.slow();
    }
    this.#armNext();
  }

  #armNext(): void {
    for (const e of this.#running) {
      const run = e.run;
      if (!run || run.slowReported) continue;
      const wait = Math.max(0, run.startedAt + this.#ms - this.#clock.now());
      this.#timer = this.#clock.setTimer(wait, () => this.#fire(), { unref: true });
      return;
    }
  }
}
