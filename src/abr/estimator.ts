/**
 * The throughput estimator (ABR-1) with the optional small-segment correction (ABR-2).
 *
 * Two duration-weighted EWMAs (half-lives 2 s and 10 s) with zero-bias correction; the
 * estimate is the more pessimistic of the two. With the correction on, each sample's
 * time to first byte is averaged separately and throughput is measured over the transfer
 * time only (duration - TTFB), so latency does not drown small (audio) segments.
 */
import type { BandwidthSample } from "./types.js";

/** Samples under this many bytes are ignored (ABR-1). */
export const MIN_SAMPLE_BYTES = 16_000;
/** Durations are clamped to at least this (ABR-1). */
export const MIN_SAMPLE_MS = 0.5;
/** A cache hit sets the fallback to this (ABR-1). */
export const CACHE_FALLBACK_BPS = 100_000_000;
export const DEFAULT_INITIAL_THROUGHPUT_BPS = 2_000_000;
/** ABR-2 default: on only because BENCH-6 shows it helps (docs/BENCHMARKS.md, section abr). */
export const DEFAULT_SMALL_SEGMENT_CORRECTION = false;

/** An exponentially weighted moving average whose samples carry a weight (seconds). */
export class Ewma {
  readonly #alpha: number;
  #estimate = 0;
  #totalWeight = 0;

  constructor(halfLifeS: number) {
    this.#alpha = Math.exp(Math.log(0.5) / halfLifeS);
  }

  add(weight: number, value: number): void {
    const a = this.#alpha ** weight;
    this.#estimate = value * (1 - a) + a * this.#estimate;
    this.#totalWeight += weight;
  }

  get totalWeight(): number {
    return this.#totalWeight;
  }

  /** Zero-bias corrected estimate; `null` before any weight. */
  estimate(): number | null {
    if (this.#totalWeight <= 0) return null;
    return this.#estimate / (1 - this.#alpha ** this.#totalWeight);
  }
}

export interface EstimatorOptions {
  /** Fallback before any weight (ABR-1). `null` = no estimate until a sample. Default 2 Mbit/s. */
  initialThroughputBps?: number | null;
  /** ABR-2: measure over transfer time and keep a TTFB average. */
  smallSegmentCorrection?: boolean;
  fastHalfLifeS?: number;
  slowHalfLifeS?: number;
}

/** One accepted sample as the policies see it (ABR-9 history). */
export interface ThroughputObservation {
  bytes: number;
  /** Throughput over the whole fetch (or the transfer time with ABR-2 on). */
  bps: number;
  durationMs: number;
}

/** Accepted samples kept for the policies (robust predictors need 2 x 5). */
const HISTORY_LENGTH = 12;

export class ThroughputEstimator {
  readonly #fast: Ewma;
  readonly #slow: Ewma;
  readonly #ttfb: Ewma;
  readonly #correction: boolean;
  #fallback: number | null;
  readonly #history: ThroughputObservation[] = [];

  constructor(options: EstimatorOptions = {}) {
    this.#fast = new Ewma(options.fastHalfLifeS ?? 2);
    this.#slow = new Ewma(options.slowHalfLifeS ?? 10);
    this.#ttfb = new Ewma(options.slowHalfLifeS ?? 10);
    this.#correction = options.smallSegmentCorrection ?? DEFAULT_SMALL_SEGMENT_CORRECTION;
    this.#fallback =
      options.initialThroughputBps === undefined
        ? DEFAULT_INITIAL_THROUGHPUT_BPS
        : options.initialThroughputBps;
  }

  get smallSegmentCorrection(): boolean {
    return this.#correction;
  }

  /**
   * Feed one sample. Returns the observation when it fed the averages, `null` when it was
   * ignored (too small, zero duration) or was a cache hit (which only raises the fallback).
   */
  add(sample: BandwidthSample): ThroughputObservation | null {
    if (sample.source === "cache") {
      this.#fallback = CACHE_FALLBACK_BPS;
      return null;
    }
    if (sample.bytes < MIN_SAMPLE_BYTES) return null;
    if (!(sample.durationMs > 0) || !Number.isFinite(sample.durationMs)) return null;
    let ms = Math.max(sample.durationMs, MIN_SAMPLE_MS);
    if (this.#correction && sample.ttfbMs !== undefined && sample.ttfbMs >= 0) {
      const ttfb = Math.min(sample.ttfbMs, ms);
      this.#ttfb.add(ms / 1000, ttfb);
      ms = Math.max(ms - ttfb, MIN_SAMPLE_MS);
    }
    const weight = ms / 1000;
    const bps = (sample.bytes * 8) / weight;
    this.#fast.add(weight, bps);
    this.#slow.add(weight, bps);
    const obs = { bytes: sample.bytes, bps, durationMs: ms };
    this.#history.push(obs);
    if (this.#history.length > HISTORY_LENGTH) this.#history.shift();
    return obs;
  }

  /** ABR-1: min(fast, slow) once there is weight; before that the fallback (maybe none). */
  estimate(): number | null {
    const fast = this.#fast.estimate();
    const slow = this.#slow.estimate();
    if (fast === null || slow === null) return this.#fallback;
    return Math.min(fast, slow);
  }

  /** ABR-2: the average time to first byte in ms; `null` with the correction off or no data. */
  ttfbMs(): number | null {
    return this.#correction ? this.#ttfb.estimate() : null;
  }

  /** The last accepted samples, oldest first. */
  history(): readonly ThroughputObservation[] {
    return this.#history;
  }
}
