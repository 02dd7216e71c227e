/** Event throttles (ABR-8). Each answers "publish this one?" and remembers what it let through. */

/** ThroughputSample: at most one per `intervalMs` (200 ms) per peer. */
export class IntervalThrottle {
  #last: number | null = null;
  constructor(readonly intervalMs: number) {}

  admit(now: number): boolean {
    if (this.#last !== null && now - this.#last < this.intervalMs) return false;
    this.#last = now;
    return true;
  }
}

/** BandwidthEstimate: the first, or >= 1 s since the last, or a >= 10 % change. */
export class EstimateThrottle {
  #last: { at: number; bps: number } | null = null;

  admit(now: number, bps: number): boolean {
    const l = this.#last;
    const ok =
      l === null ||
      now - l.at >= 1000 ||
      (l.bps === 0 ? bps !== 0 : Math.abs(bps - l.bps) / l.bps >= 0.1);
    if (ok) this.#last = { at: now, bps };
    return ok;
  }
}

/** BufferAhead: the first, known<->unknown, or >= 500 ms since the last and >= 500 ms change. */
export class BufferThrottle {
  #last: { at: number; seconds: number | null } | null = null;

  admit(now: number, seconds: number | null): boolean {
    const l = this.#last;
    let ok: boolean;
    if (l === null) ok = true;
    else if ((l.seconds === null) !== (seconds === null)) ok = true;
    else if (l.seconds === null || seconds === null) ok = false;
    else ok = now - l.at >= 500 && Math.abs(seconds - l.seconds) >= 0.5;
    if (ok) this.#last = { at: now, seconds };
    return ok;
  }
}
