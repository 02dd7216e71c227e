/**
 * The progressive-download peer (FILE-3..6): the Downloader polls it; it answers with at most
 * one fetch at a time, planned from the store's availability and the readers' demand, and
 * writes every body chunk into the elected writer's `.part`.
 */
import { CancelToken } from "../core/cancel.js";
import { cancelledError, NetError } from "../core/errors.js";
import type { ByteRange } from "../core/ranges.js";
import type { FetchCmd, Peer, PollResult, Priority, ResponseInfo } from "../dl/types.js";
import type { ResourceHandle, ResourceWriter, Validator } from "../store/types.js";
import { acceptResponse, isHlsContentType } from "./checks.js";
import { type Demand, planFetch } from "./plan.js";
import type { PeerLink } from "./types.js";

/** What the peer reports to the session that owns it. */
export interface PeerOwner {
  readonly url: string;
  demands(): Demand[];
  /** Headers arrived (before validation): remembers the content-type for routing (RES-1). */
  sawContentType(contentType: string | undefined): void;
  /** A response was accepted: the resource is usable. */
  responded(contentType: string | undefined): void;
  playing(): boolean;
  /** Bytes were written (for Progress events). */
  wrote(downloaded: number): void;
  /** The total became known. */
  totalKnown(total: number): void;
  committed(total: number): void;
  /** The download failed for good; `discard` when the bytes must not be kept. */
  failed(error: unknown, discard: boolean): void;
}

interface InFlight {
  range: ByteRange;
  /** Next offset the body writes to. */
  head: number;
  epoch: CancelToken;
  /** Set while the writer is being reset for a changed representation. */
  ready: Promise<void> | undefined;
}

/** NET-3 plus RetryExhausted, whose causes were transient by construction (FILE-5). */
function transient(err: NetError): boolean {
  return err.retryable || err.kind === "RetryExhausted";
}

function sameValidator(a: Validator | undefined, b: Validator): boolean {
  if (!a) return true;
  if (a.etag !== undefined && b.etag !== undefined) return a.etag === b.etag;
  if (a.lastModified !== undefined && b.lastModified !== undefined)
    return a.lastModified === b.lastModified;
  return true;
}

export class FilePeer implements Peer {
  readonly #owner: PeerOwner;
  readonly #res: ResourceHandle;
  readonly #writer: ResourceWriter;
  readonly #seekGap: number;
  #link: PeerLink | undefined;
  #inflight: InFlight | undefined;
  #state: "running" | "committing" | "done" = "running";
  #idle: (() => void) | undefined;
  #committing: Promise<void> | undefined;

  constructor(owner: PeerOwner, writer: ResourceWriter, seekGap: number) {
    this.#owner = owner;
    this.#writer = writer;
    this.#res = writer.resource;
    this.#seekGap = seekGap;
  }

  attach(link: PeerLink): void {
    this.#link = link;
  }

  priority(): Priority {
    return this.#owner.playing() ? "high" : "low";
  }

  /** Tell the Downloader there may be work (demand or priority changed). */
  wake(): void {
    this.#link?.wake();
  }

  /**
   * A reader needs `start` (a seek, or a blocked read). FILE-6: when the fetch in flight will
   * not reach it soon, cancel that fetch; the next poll plans from the reader's need.
   */
  demand(start: number): void {
    const f = this.#inflight;
    if (f && !this.#res.containsRange(start, start + 1)) {
      // Bytes in [range.start, head) were received and are landing (write-behind).
      const behind = start < f.range.start;
      const beyond = f.range.end !== undefined && start >= f.range.end;
      if (behind || beyond || start - f.head > this.#seekGap) f.epoch.cancel("seek");
    }
    this.wake();
  }

  poll(): PollResult {
    if (this.#state === "done") return "done";
    if (this.#inflight || this.#state === "committing") return "pending";
    const total = this.#res.finalLength();
    if (total !== undefined && this.#res.containsRange(0, total)) {
      this.#commit(total);
      return "pending";
    }
    const plan = planFetch(this.#res, this.#owner.demands());
    if (!plan) return "pending";
    return [this.#command(plan.range, plan.priority)];
  }

  #command(range: ByteRange, priority: Priority): FetchCmd {
    const asked = range.start === 0 && range.end === undefined ? undefined : range;
    const epoch = CancelToken.root();
    const f: InFlight = {
      range,
      head: range.start,
      epoch,
      ready: undefined,
    };
    this.#inflight = f;
    // The net layer owns `if-range` (its own resumes, NET-9); against the validator stored
    // with a partial resource the peer checks the first answer itself (onResponse).
    const stored = this.#res.validator();
    let established = false;
    const cmd: FetchCmd = {
      url: this.#owner.url,
      epoch,
      priority,
      rejectHtml: true,
      validate: (res) => {
        // The net layer re-validates its own resumes (NET-9); FILE-4 judges the first answer.
        if (established) return;
        this.#owner.sawContentType(res.headers["content-type"]);
        if (isHlsContentType(res.headers["content-type"]))
          throw new NetError("InvalidContentType", `an HLS playlist, not a file: ${res.url}`, {
            url: res.url,
          });
        acceptResponse(asked, res, this.#res.finalLength());
      },
      onResponse: (res) => {
        established = true;
        const a = acceptResponse(asked, res, this.#res.finalLength());
        f.head = a.offset;
        const fresh = validatorOf(res);
        const accept = () => {
          this.#learn(fresh, a.total);
          this.#owner.responded(res.headers["content-type"]);
        };
        // A changed representation (same length, new validator): what the .part held is
        // stale. Drop it and keep this body, which belongs to the new one.
        if (!sameValidator(stored, fresh)) {
          f.ready = this.#writer.reset().then(accept);
          // Awaited by the writer and onComplete; this only keeps a failure from going unhandled.
          f.ready.catch(() => {});
        } else accept();
      },
      // Synchronous unless there is back-pressure: no promise per chunk on the hot path.
      writer: (chunk) => {
        if (f.ready) return f.ready.then(() => this.#write(f, chunk));
        return this.#write(f, chunk);
      },
      onComplete: (bytes, res, err) => {
        // Every byte handed over lands (or fails) before the completion is handled, so
        // release/commit and the next plan see them (no byte received is lost on a cancel).
        void Promise.allSettled([f.ready])
          .then(() => this.#writer.flush())
          .then(
            () => {
              this.#owner.wrote(this.#res.presentBytes());
              return undefined;
            },
            (e: unknown) => toNetError(e, res?.url ?? this.#owner.url),
          )
          .then((writeError) => this.#completed(f, bytes, res, err ?? writeError));
      },
    };
    if (asked) cmd.range = asked;
    return cmd;
  }

  /**
   * Hand `chunk` to the store's write-behind queue (it coalesces chunks into large writes and
   * answers with a promise only when the disk is behind: back-pressure, BENCH-3/BENCH-5).
   * A failed store write throws here, failing the fetch.
   */
  #write(f: InFlight, chunk: Uint8Array): Promise<void> | undefined {
    const at = f.head;
    f.head += chunk.length;
    // The peer is the chunk's last holder: hand it over, so lent socket memory is reused.
    const wait = this.#writer.append(at, chunk, true);
    this.#owner.wrote(this.#res.presentBytes());
    return wait;
  }

  #learn(validator: Validator, total: number | null): void {
    this.#writer.setValidator(validator);
    if (total !== null) this.#setLength(total);
  }

  #setLength(total: number): void {
    if (this.#res.finalLength() === total) return;
    this.#writer.setLength(total);
    this.#owner.totalKnown(total);
  }

  #completed(
    f: InFlight,
    bytes: number,
    res: ResponseInfo | undefined,
    err: NetError | undefined,
  ): void {
    this.#inflight = undefined;
    f.epoch.release();
    if (this.#idle) {
      this.#idle();
      return;
    }
    if (this.#state === "done") return;
    if (!err) {
      // A whole body of unknown length has now ended: its end is the total.
      if (res && !res.partial && this.#res.finalLength() === undefined) {
        try {
          this.#setLength(f.head);
        } catch (e) {
          this.#fail(e, true);
          return;
        }
      }
      this.wake();
      return;
    }
    if (err.kind === "Cancelled") {
      // Our own seek cancel: plan again. Anything else (the downloader shutting down): stop,
      // keeping the bytes for a later run.
      if (f.epoch.isCancelled) this.wake();
      else this.#fail(err, false);
      return;
    }
    if (transient(err) && bytes > 0) {
      this.wake();
      return;
    }
    this.#fail(err, !transient(err));
  }

  #fail(err: unknown, discard: boolean): void {
    this.#state = "done";
    this.#owner.failed(err, discard);
  }

  #commit(total: number): void {
    this.#state = "committing";
    this.#committing = this.#writer.commit().then(
      () => {
        this.#state = "done";
        this.#link?.dispose();
        this.#link = undefined;
        this.#owner.committed(total);
      },
      (err: unknown) => this.#fail(err, false),
    );
  }

  /**
   * Stop fetching: cancel the fetch in flight and resolve once its `onComplete` has run
   * (DL-7 guarantees it) and any commit has settled, so the writer can be released with every
   * written byte accounted for.
   */
  async stop(): Promise<void> {
    this.#state = "done";
    const f = this.#inflight;
    this.#link?.dispose();
    this.#link = undefined;
    if (f) {
      await new Promise<void>((resolve) => {
        this.#idle = resolve;
        f.epoch.cancel(cancelledError(this.#owner.url, "stopped"));
      });
    }
    await this.#committing;
  }

  get writer(): ResourceWriter {
    return this.#writer;
  }
}

function validatorOf(res: ResponseInfo): Validator {
  const v: Validator = {};
  const etag = res.headers.etag;
  const lm = res.headers["last-modified"];
  if (etag !== undefined) v.etag = etag;
  if (lm !== undefined) v.lastModified = lm;
  return v;
}

function toNetError(e: unknown, url: string): NetError {
  return e instanceof NetError
    ? e
    : new NetError("Decode", `cannot store ${url}`, { url, cause: e });
}
