/**
 * The progress model (CLI-1): folds event-bus envelopes into what a progress line shows —
 * bytes, rate, ETA, segments done/total, current variant, retries — and the notable moments
 * (ABR decisions, retries, errors) a plain-line log prints. Pure apart from the injected clock.
 */
import type { Clock } from "../../core/clock.js";
import type { VariantInfo } from "../../events/domains/abr.js";
import type { Envelope } from "../../events/types.js";

/** Rate window: bytes over the last few seconds. */
const RATE_WINDOW_MS = 3000;

export interface ProgressSnapshot {
  /** Bytes received from the network plus bytes read from the cache. */
  bytes: number;
  /** Total bytes when known (progressive downloads). */
  totalBytes: number | null;
  /** Bytes per second over the recent window; 0 before any data. */
  rate: number;
  /** Seconds left, when it can be estimated. */
  eta: number | null;
  segmentsDone: number;
  segmentsTotal: number | null;
  variant: { index: number; bandwidth: number | null } | null;
  retries: number;
  elapsedMs: number;
}

export interface Notice {
  level: "info" | "warn";
  text: string;
}

export class ProgressModel {
  readonly #clock: Clock;
  readonly #start: number;
  #netBytes = 0;
  #cachedBytes = 0;
  readonly #fileBytes = new Map<string, number>();
  #totalBytes: number | null = null;
  readonly #segments = new Set<number>();
  #segmentsTotal: number | null = null;
  #variants: VariantInfo[] = [];
  #variant: number | null = null;
  #retries = 0;
  readonly #samples: Array<{ t: number; bytes: number }> = [];
  readonly #notices: Notice[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
    this.#start = clock.now();
  }

  /** Fold one envelope in. Unknown events are ignored. */
  apply(env: Envelope): void {
    const e = env.event;
    switch (e.domain) {
      case "downloader":
        if (e.type === "RequestCompleted") this.#addNet(e.bytes);
        else if (e.type === "RequestRetrying") {
          this.#retries++;
          this.#notices.push({
            level: "warn",
            text: `retry ${e.attempt}/${e.maxRetries} in ${Math.round(e.backoff)} ms: ${e.error.message}`,
          });
        } else if (e.type === "BodyResumed") this.#retries++;
        break;
      case "file":
        if (e.type === "TotalBytesResolved") this.#totalBytes = e.total;
        else if (e.type === "Progress") {
          this.#fileBytes.set(e.url, e.downloaded);
          if (e.total !== null) this.#totalBytes = e.total;
          this.#sample();
        } else if (e.type === "CacheComplete") {
          this.#fileBytes.set(e.url, e.total);
          this.#totalBytes = e.total;
        } else if (e.type === "Error") {
          this.#notices.push({ level: "warn", text: `error: ${e.error.message}` });
        }
        break;
      case "hls":
        this.#applyHls(e);
        break;
      case "abr":
        if (e.type === "VariantsRegistered") {
          this.#variants = e.variants;
          this.#variant = e.initial;
          this.#notices.push({
            level: "info",
            text: `variants: ${e.variants.map((v) => `#${v.index} ${kbps(v.bandwidth)}`).join(", ")}; starting with #${e.initial}`,
          });
        } else if (e.type === "VariantApplied") {
          this.#variant = e.to;
          this.#notices.push({
            level: "info",
            text: `ABR: #${e.from} -> #${e.to} (${this.#bw(e.to)}) ${e.reason}`,
          });
        }
        break;
      default:
        break;
    }
  }

  #applyHls(e: Extract<Envelope["event"], { domain: "hls" }>): void {
    switch (e.type) {
      case "PlaylistLoaded":
        if (e.kind === "media" && e.segments !== undefined) {
          this.#segmentsTotal = Math.max(this.#segmentsTotal ?? 0, e.segments);
        }
        break;
      case "SegmentLoaded":
        this.#segments.add(e.segment);
        if (e.cached) {
          this.#cachedBytes += e.bytes;
          this.#sample();
        }
        break;
      case "VariantChanged":
        this.#variant = e.to;
        break;
      case "SegmentRetry":
        this.#retries++;
        this.#notices.push({
          level: "warn",
          text: `segment ${e.segment} of #${e.variant} retried: ${e.error.message}`,
        });
        break;
      case "SegmentFailed":
      case "Error":
        this.#notices.push({ level: "warn", text: `error: ${e.error.message}` });
        break;
      default:
        break;
    }
  }

  #bw(index: number): string {
    const v = this.#variants.find((x) => x.index === index);
    return v ? kbps(v.bandwidth) : "?";
  }

  #addNet(bytes: number): void {
    this.#netBytes += bytes;
    this.#sample();
  }

  get bytes(): number {
    let file = 0;
    for (const b of this.#fileBytes.values()) file += b;
    return Math.max(this.#netBytes, file) + this.#cachedBytes;
  }

  #sample(): void {
    const t = this.#clock.now();
    this.#samples.push({ t, bytes: this.bytes });
    this.#prune(t);
  }

  /** Keep at most one sample at or before the window start. */
  #prune(now: number): void {
    while (this.#samples.length > 1 && this.#samples[1]!.t <= now - RATE_WINDOW_MS) {
      this.#samples.shift();
    }
  }

  /** Notable moments since the last call (ABR decisions, retries, errors). */
  drainNotices(): Notice[] {
    return this.#notices.splice(0);
  }

  snapshot(): ProgressSnapshot {
    const now = this.#clock.now();
    const bytes = this.bytes;
    const rate = this.#rate(now, bytes);
    const variant =
      this.#variant === null
        ? null
        : {
            index: this.#variant,
            bandwidth: this.#variants.find((v) => v.index === this.#variant)?.bandwidth ?? null,
          };
    return {
      bytes,
      totalBytes: this.#totalBytes,
      rate,
      eta: this.#eta(bytes, rate),
      segmentsDone: this.#segments.size,
      segmentsTotal: this.#segmentsTotal,
      variant,
      retries: this.#retries,
      elapsedMs: now - this.#start,
    };
  }

  /** Bytes per second over the last RATE_WINDOW_MS (or since the start, if younger). */
  #rate(now: number, bytes: number): number {
    const windowStart = now - RATE_WINDOW_MS;
    if (this.#start >= windowStart) {
      const span = now - this.#start;
      return span > 0 ? (bytes * 1000) / span : 0;
    }
    this.#prune(now);
    // Samples are pruned to keep exactly one at or before the window start (if any ever was).
    const first = this.#samples[0];
    const base = first !== undefined && first.t <= windowStart ? first.bytes : 0;
    return ((bytes - base) * 1000) / RATE_WINDOW_MS;
  }

  #eta(bytes: number, rate: number): number | null {
    if (rate <= 0) return null;
    if (this.#totalBytes !== null) return Math.max(0, this.#totalBytes - bytes) / rate;
    const done = this.#segments.size;
    if (this.#segmentsTotal !== null && done > 0) {
      const left = Math.max(0, this.#segmentsTotal - done);
      return (left * (bytes / done)) / rate;
    }
    return null;
  }
}

export function kbps(bps: number): string {
  return bps >= 1_000_000
    ? `${(bps / 1_000_000).toFixed(1)} Mbit/s`
    : `${Math.round(bps / 1000)} kbit/s`;
}
