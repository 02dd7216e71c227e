/**
 * The hang watchdog (DL-15). The downloader calls `progress()` whenever a round advances
 * (a command accepted, a peer batch received, a dispatch, a fetch settling, and [+] body bytes
 * arriving). One unref'd timer, armed only while there is work, checks the deadline: if
 * `hangTimeout` passed without progress and fetches are in flight, `onHang` runs with the
 * stall duration, and the deadline restarts so a persistent hang reports once per period.
 */
import type { Clock, Timer } from "../core/clock.js";

export class HangWatchdog {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #inFlight: () => number;
  readonly #onHang: (stalledFor: number) => void;
  #last: number;
  #timer: Timer | undefined;

  constructor(
    clock: Clock,
    timeoutMs: number,
    inFlight: () => number,
    onHang: (stalledFor: number) => void,
  ) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#inFlight = inFlight;
    this.#onHang = onHang;
    this.#last = clock.now();
  }

  /** The round advanced (at `at`, when the caller just read the clock): push the deadline back. */
  progress(at: number = this.#clock.now()): void {
    this.#last = at;
  }

  /** Arm while there is work (queued or in flight); disarm when idle (Idle never trips). */
  update(active: boolean): void {
    if (active && !this.#timer) this.#arm(this.#timeoutMs);
    else if (!active) this.stop();
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = this.#clock.setTimer(ms, () => this.#check(), { unref: true });
  }

  #check(): void {
    this.#timer = undefined;
    const stalledFor = this.#clock.now() - this.#last;
    if (stalledFor >= this.#timeoutMs) {
      this.#last = this.#clock.now();
      if (this.#inFlight() > 0) this.#onHang(stalledFor);
    }
    this.#arm(Math.max(1, this.#last + this.#timeoutMs - this.#clock.now()));
  }
}
