/**
 * The resumable body (NET-9). It wraps every `stream`/`getRange` body: a chunk gap longer
 * than the inactivity timeout, a socket error or an early clean EOF re-requests the rest
 * (from `base + consumed`), with `if-range` when the first answer carried a validator, and
 * splices the answer in without a duplicated or missing byte. This is the only place that
 * times out idle bodies.
 */
import { NetError } from "../core/errors.js";
import { retryDelay } from "./backoff.js";
import { decodeError, toNetError } from "./errors.js";
import type { Exchange } from "./exchange.js";
import type { Operation } from "./operation.js";
import type { NetObserver } from "./types.js";
import type { WireRange } from "./validate.js";

export type ResumeOpener = (range: WireRange, ifRange: string | undefined) => Promise<Exchange>;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The body is its own async iterator with a hand-written `next()` (no async generator over
 * the transport's iterator: one promise per chunk instead of a generator queue). Calls to
 * `next()` are expected one at a time (as `for await` does).
 */
export class ResumableBody implements AsyncIterableIterator<Uint8Array, undefined> {
  #cur: Exchange;
  #consumed = 0;
  #resumes = 0;
  #skip = 0;
  #lastChunk: number;
  /** Every expected byte was delivered: the next `next()` drains the end and finishes. */
  #complete = false;
  #done = false;
  readonly #base: number;
  readonly #askedEnd: number | undefined;
  readonly #expected: number | null;
  readonly #total: number | null;
  readonly #validator: string | undefined;
  readonly #etag: string | undefined;
  readonly #lastModified: string | undefined;

  constructor(
    first: Exchange,
    asked: WireRange | undefined,
    private readonly op: Operation,
    private readonly observer: NetObserver | undefined,
    private readonly reopen: ResumeOpener,
  ) {
    this.#cur = first;
    this.#base = first.shape.partial && asked ? asked.start : 0;
    this.#askedEnd = first.shape.partial ? asked?.end : undefined;
    this.#expected = first.shape.expectedLength;
    this.#total = first.shape.total;
    // if-range may carry a strong ETag, else Last-Modified (RFC 9110 13.1.5).
    const etag = first.res.headers.etag?.trim();
    this.#etag = etag?.startsWith('"') ? etag : undefined;
    this.#lastModified = first.res.headers["last-modified"]?.trim() || undefined;
    this.#validator = this.#etag ?? this.#lastModified;
    this.#lastChunk = op.cfg.clock.now();
  }

  get consumed(): number {
    return this.#consumed;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Abandon the body: aborts the transfer or a pending backoff and releases everything. */
  async dispose(): Promise<void> {
    if (!this.#done)
      this.op.abort(
        new NetError("Cancelled", `body disposed: ${this.op.url}`, { url: this.op.url }),
      );
    await this.#cleanup();
  }

  /** The consumer stopped early (`break` in `for await`): release without aborting. */
  async return(): Promise<IteratorReturnResult<undefined>> {
    await this.#cleanup();
    return DONE;
  }

  async #cleanup(): Promise<void> {
    this.#done = true;
    await this.#cur.close();
    this.op.finish();
  }

  async next(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (this.#done) return DONE;
    try {
      if (this.#complete) {
        await this.#drainEnd();
        await this.#cleanup();
        return DONE;
      }
      for (;;) {
        let r: IteratorResult<Uint8Array>;
        try {
          r = await this.#cur.guard.step(this.#cur.iterator.next(), "waiting for body bytes");
        } catch (e) {
          await this.#recover(e);
          continue;
        }
        if (r.done) {
          if (this.#expected !== null && this.#consumed < this.#expected) {
            await this.#recover(
              new NetError(
                "Network",
                `connection closed early at ${this.#consumed} of ${this.#expected} bytes: ${this.op.url}`,
                { url: this.op.url },
              ),
            );
            continue;
          }
          await this.#cleanup();
          return DONE;
        }
        this.#lastChunk = this.op.cfg.clock.now();
        let chunk = r.value;
        if (this.#skip > 0) {
          const n = Math.min(this.#skip, chunk.length);
          this.#skip -= n;
          chunk = chunk.subarray(n);
        }
        if (chunk.length === 0) continue;
        if (this.#expected !== null) {
          const room = this.#expected - this.#consumed;
          if (chunk.length >= room) {
            // Never deliver more than the original response's length.
            this.#complete = true;
            if (chunk.length > room) chunk = chunk.subarray(0, room);
            if (chunk.length === 0) {
              await this.#drainEnd();
              await this.#cleanup();
              return DONE;
            }
          }
        }
        this.#consumed += chunk.length;
        return { done: false, value: chunk };
      }
    } catch (e) {
      await this.#cleanup();
      throw e;
    }
  }

  /** A step failed: report a stall, drop the exchange, and resume (or throw the final error). */
  async #recover(e: unknown): Promise<void> {
    const aborted = this.op.aborted;
    const cause = aborted ? this.op.abortError() : toNetError(e, this.op.url);
    if (cause.kind === "Timeout" && !aborted) {
      this.observer?.bodyStalled?.({
        consumed: this.#consumed,
        expected: this.#expected,
        stall: this.op.cfg.clock.now() - this.#lastChunk,
      });
    }
    await this.#cur.close();
    this.#cur = await this.#resume(cause);
    this.#lastChunk = this.op.cfg.clock.now();
  }

  /**
   * All expected bytes were delivered: read on to the transport's own end of body (at once
   * for a content-length response), so the body ends cleanly and its keep-alive connection
   * goes back to the pool instead of being destroyed (NET-1). Runs only while the consumer
   * pulls (NET-2). Extra bytes, an error or a stall leave the body to `close()`, which
   * abandons it; the delivered bytes are complete either way.
   */
  async #drainEnd(): Promise<void> {
    try {
      await this.#cur.guard.step(
        this.#cur.iterator.next(),
        "waiting for the end of a complete body",
      );
    } catch {
      // The body is complete; only the connection's reuse was lost.
    }
  }

  /** Re-request the rest; resume-request failures count against the same budget (NET-9 [+]). */
  async #resume(first: NetError): Promise<Exchange> {
    let cause = first;
    for (;;) {
      if (this.op.aborted) throw this.op.abortError();
      if (!cause.retryable) throw cause;
      if (this.#resumes >= this.op.cfg.maxRetries) {
        throw this.op.exhausted(this.observer, cause, this.#consumed);
      }
      await this.op.sleep(retryDelay(this.#resumes, this.op.cfg));
      this.#resumes++;
      const from = this.#base + this.#consumed;
      let next: Exchange | undefined;
      try {
        next = await this.reopen({ start: from, end: this.#askedEnd }, this.#validator);
        this.#checkSame(next);
      } catch (e) {
        await next?.close();
        if (this.op.aborted) throw this.op.abortError();
        cause = toNetError(e, this.op.url);
        continue;
      }
      this.#skip = next.shape.partial ? 0 : from;
      this.observer?.bodyResumed?.({
        resumeNumber: this.#resumes,
        fromOffset: from,
        honouredRange: next.shape.partial,
      });
      return next;
    }
  }

  /** A resume must be the same representation: same total, same validator (NET-9). */
  #checkSame(next: Exchange): void {
    const url = this.op.url;
    const total = next.shape.total;
    if (this.#total !== null && total !== this.#total) {
      throw decodeError(
        url,
        `resource length changed on resume (${this.#total} -> ${total ?? "unknown"})`,
      );
    }
    const etag = next.res.headers.etag?.trim();
    if (this.#etag !== undefined && etag !== this.#etag) {
      throw decodeError(
        url,
        `representation changed on resume (etag ${this.#etag} -> ${etag ?? "none"})`,
      );
    }
    const lm = next.res.headers["last-modified"]?.trim();
    if (this.#etag === undefined && this.#lastModified !== undefined && lm !== this.#lastModified) {
      throw decodeError(
        url,
        `representation changed on resume (last-modified ${this.#lastModified} -> ${lm ?? "none"})`,
      );
    }
  }
}
