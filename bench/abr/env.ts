/**
 * The reference chunk-level environment (shared/traces/README.md "Simulator conventions"),
 * step for step: walk the trace accumulating throughput x dt x 0.95 bytes, add 80 ms RTT,
 * rebuffer = max(delay - buffer, 0), buffer = max(buffer - delay, 0) + 4 s, sleep in 500 ms
 * steps above 60 s (the trace advances), the pointer starts at 1 and wraps to 1 at time 0.
 * Times are kept in ms like the reference so float rounding matches it.
 */
import type { Content, Trace } from "./content.js";

export const PAYLOAD_FRACTION = 0.95;
export const RTT_MS = 80;
export const BUFFER_THRESH_MS = 60_000;
export const SLEEP_STEP_MS = 500;

/** What a player learns after each chunk. */
export interface ChunkResult {
  /** 0-based index of the chunk just downloaded. */
  chunk: number;
  level: number;
  bytes: number;
  delayMs: number;
  sleepMs: number;
  /** Buffer after the chunk and any sleep, seconds. */
  bufferS: number;
  rebufferS: number;
  /** Simulated wall time after the chunk and its sleep, ms. */
  nowMs: number;
}

export class TraceSession {
  #ptr = 1;
  #lastTime: number;
  #bufferMs = 0;
  #chunk = 0;
  #nowMs = 0;

  constructor(
    private readonly trace: Trace,
    private readonly content: Content,
  ) {
    this.#lastTime = trace.time[0]!;
  }

  get done(): boolean {
    return this.#chunk >= this.content.chunks;
  }

  get nextChunk(): number {
    return this.#chunk;
  }

  #advancePtr(): void {
    this.#ptr++;
    if (this.#ptr >= this.trace.mbps.length) {
      this.#ptr = 1;
      this.#lastTime = 0;
    }
  }

  fetch(level: number): ChunkResult {
    const t = this.trace;
    const bytes = this.content.sizes[level]![this.#chunk]!;
    let delay = 0;
    let sent = 0;
    for (;;) {
      const throughput = (t.mbps[this.#ptr]! * 1_000_000) / 8;
      const duration = t.time[this.#ptr]! - this.#lastTime;
      const payload = throughput * duration * PAYLOAD_FRACTION;
      if (sent + payload > bytes) {
        const frac = (bytes - sent) / throughput / PAYLOAD_FRACTION;
        delay += frac;
        this.#lastTime += frac;
        break;
      }
      sent += payload;
      delay += duration;
      this.#lastTime = t.time[this.#ptr]!;
      this.#advancePtr();
    }
    delay = delay * 1000 + RTT_MS;
    const rebuf = Math.max(delay - this.#bufferMs, 0);
    this.#bufferMs = Math.max(this.#bufferMs - delay, 0) + this.content.chunkS * 1000;
    let sleepMs = 0;
    if (this.#bufferMs > BUFFER_THRESH_MS) {
      sleepMs = Math.ceil((this.#bufferMs - BUFFER_THRESH_MS) / SLEEP_STEP_MS) * SLEEP_STEP_MS;
      this.#bufferMs -= sleepMs;
      let left = sleepMs;
      for (;;) {
        const duration = t.time[this.#ptr]! - this.#lastTime;
        if (duration > left / 1000) {
          this.#lastTime += left / 1000;
          break;
        }
        left -= duration * 1000;
        this.#lastTime = t.time[this.#ptr]!;
        this.#advancePtr();
      }
    }
    this.#nowMs += delay + sleepMs;
    const result: ChunkResult = {
      chunk: this.#chunk,
      level,
      bytes,
      delayMs: delay,
      sleepMs,
      bufferS: this.#bufferMs / 1000,
      rebufferS: rebuf / 1000,
      nowMs: this.#nowMs,
    };
    this.#chunk++;
    return result;
  }
}

/** QoE_lin of one chunk (README). */
export function chunkQoe(content: Content, level: number, prev: number, rebufferS: number): number {
  const r = content.bitratesKbps[level]! / 1000;
  const p = content.bitratesKbps[prev]! / 1000;
  return r - content.rebufferPenalty * rebufferS - Math.abs(r - p);
}
