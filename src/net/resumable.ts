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

export class ResumableBody {
  #cur: Exchange;
  #consumed = 0;
  #resumes = 0;
  #skip = 0;
  #done = false;
  readonly #base: number;
  readonly #askedEnd: number | undefined;
  readonly #expected: number | null;
  readonly #total: number | null;
  readonly #validator: string | undefined;
  readonly #etag: string | undefined;
  readonly #lastModified: string | undefined;
  readonly gen: AsyncGenerator<Uint8Array, void, undefined>;

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
    this.gen = this.#run();
  }

  get consumed(): number {
    return this.#consumed;
  }

  /** Abandon the body: aborts the transfer or a pending backoff and releases everything. */
  async dispose(): Promise<void> {
    if (!this.#done)
      this.op.abort(
        new NetError("Cancelled", `body disposed: ${this.op.url}`, { url: this.op.url }),
      );
    await this.#cleanup();
    await this.gen.return(undefined).catch(() => {});
  }

  async #cleanup(): Promise<void> {
    this.#done = true;
    await this.#cur.close();
    this.op.finish();
  }

  async *#run(): AsyncGenerator<Uint8Array, void, undefined> {
    const { clock } = this.op.cfg;
    try {
      for (;;) {
        let lastChunk = clock.now();
        let cause: NetError;
        try {
          for (;;) {
            const r = await this.#cur.guard.step(
              this.#cur.iterator.next(),
              "waiting for body bytes",
            );
            if (r.done) {
              if (this.#expected !== null && this.#consumed < this.#expected) {
                throw new NetError(
                  "Network",
                  `connection closed early at ${this.#consumed} of ${this.#expected} bytes: ${this.op.url}`,
                  { url: this.op.url },
                );
              }
              return;
            }
            lastChunk = clock.now();
            let chunk = r.value;
            if (this.#skip > 0) {
              const n = Math.min(this.#skip, chunk.length);
              this.#skip -= n;
              chunk = chunk.subarray(n);
            }
            if (chunk.length === 0) continue;
            const room = this.#expected === null ? chunk.length : this.#expected - this.#consumed;
            if (chunk.length >= room) {
              // Never deliver more than the original response's length.
              chunk = chunk.subarray(0, room);
              this.#consumed += chunk.length;
              if (chunk.length > 0) yield chunk;
              if (this.#expected === null) continue;
              await this.#drainEnd();
              return;
            }
            this.#consumed += chunk.length;
            yield chunk;
          }
        } catch (e) {
          cause = this.op.aborted ? this.op.abortError() : toNetError(e, this.op.url);
        }
        if (cause.kind === "Timeout" && !this.op.aborted) {
          this.observer?.bodyStalled?.({
            consumed: this.#consumed,
            expected: this.#expected,
            stall: clock.now() - lastChunk,
          });
        }
        await this.#cur.close();
        this.#cur = await this.#resume(cause);
      }
    } finally {
      await this.#cleanup();
    }
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
