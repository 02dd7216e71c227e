/**
 * Running one dispatched fetch, streaming (DL-8) or imperative (DL-9): the net call, the
 * observer hooks mapped to lifecycle events with the request id (DL-12/13), the soft timeout
 * (DL-10), bandwidth crediting (DL-11), then exactly one terminal event and one completion.
 * Never rejects: every failure ends as a terminal event plus a completion with a NetError.
 */
import type { AbrRegistry, BandwidthSample } from "../abr/types.js";
import type { CancelToken } from "../core/cancel.js";
import type { Clock } from "../core/clock.js";
import { cancelledError, errorInfo, isCancelled, NetError } from "../core/errors.js";
import type { EventBus } from "../events/bus.js";
import type { DownloaderEvent } from "../events/domains/downloader.js";
import type { HttpClient, NetObserver, RequestOptions } from "../net/types.js";
import {
  cancelReason,
  type Entry,
  type ExecEntry,
  type RunHandle,
  releaseToken,
  type StreamEntry,
} from "./entry.js";
import { fromHead, fromHeaders, fromStream } from "./response-info.js";
import type { ResponseInfo } from "./types.js";

type Payload<E = DownloaderEvent> = E extends { requestId: number }
  ? Omit<E, "domain" | "requestId" | "peerId">
  : never;

export interface RunContext {
  readonly http: HttpClient;
  readonly clock: Clock;
  readonly abr: AbrRegistry;
  readonly token: CancelToken;
  /** Called once, right before the terminal event (`at`: now): the fetch stops counting against the cap. */
  finish(entry: Entry, at: number): void;
  /** Called once, last: the run is over (its request settled, even after an early end). */
  settled(): void;
  /** Body bytes arrived (watchdog progress). */
  progress(): void;
  /** A user callback (or the ABR registry) threw; the throw is contained and counted (DL-8). */
  callbackFailed(): void;
}

/**
 * Whether anyone would see a publish on the entry's bus (its subscribers and its ancestors').
 * Hot call sites check it first to skip building the payload.
 */
export function observed(entry: Entry): boolean {
  for (let b: EventBus | undefined = entry.bus; b; b = b.parent)
    if (b.subscriberCount > 0) return true;
  return false;
}

/**
 * A lifecycle event on the entry's bus. Skipped when nobody subscribes anywhere up the bus
 * chain: unobservable (`seq` stays strictly increasing), and saves the envelope per event.
 */
export function publish(entry: Entry, event: Payload): void {
  if (!observed(entry)) return;
  entry.bus.publish({
    domain: "downloader",
    requestId: entry.id,
    peerId: entry.peer.id,
    ...event,
  } as DownloaderEvent);
}

/** A throw from a validator, writer or onResponse: kept if it is a NetError, else a fatal Decode. */
function asNetError(err: unknown, url: string, what: string): NetError {
  if (err instanceof NetError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new NetError("Decode", `${what} failed for ${url}: ${msg}`, { url, cause: err });
}

/** The argument of one NetObserver hook. */
type Info<K extends keyof NetObserver> = Parameters<NonNullable<NetObserver[K]>>[0];

/**
 * One dispatched fetch: its net hooks mapped to lifecycle events (DL-13) while the entry runs,
 * its soft-timeout report (DL-10, timed by `SoftTimeouts`), the outcome so far, and the one
 * ending (`end`, idempotent): release the slot, terminal event, completion. One object per
 * fetch, no closures.
 */
class FetchRun implements NetObserver, RunHandle {
  /** The first answer's ttfb, for the bandwidth sample (DL-11). */
  ttfb: number | undefined = undefined;
  bytes = 0;
  info: ResponseInfo | undefined = undefined;
  body: Uint8Array | undefined = undefined;
  error: unknown = undefined;
  /** A body byte reached the writer (or was collected): the fetch can no longer end early. */
  bodyStarted = false;
  slowReported = false;
  #ended = false;
  readonly startedAt: number;
  readonly #ctx: RunContext;
  readonly #entry: Entry;

  constructor(ctx: RunContext, entry: Entry) {
    this.#ctx = ctx;
    this.#entry = entry;
    this.startedAt = ctx.clock.now();
  }

  #live(): boolean {
    return this.#entry.state === "running";
  }

  slow(): void {
    const entry = this.#entry;
    if (this.slowReported || !this.#live()) return;
    this.slowReported = true;
    publish(entry, { type: "LoadSlow", elapsed: this.#ctx.clock.now() - this.startedAt });
    const onSlow = entry.kind === "stream" ? entry.cmd.onSlow : undefined;
    if (!onSlow) return;
    try {
      onSlow();
    } catch {
      this.#ctx.callbackFailed();
    }
  }

  /** The fetch is over (or abandoned): release the slot, then the terminal event and completion, once. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const now = this.#ctx.clock.now();
    this.#ctx.finish(this.#entry, now);
    terminate(this.#ctx, this.#entry, this, now - this.startedAt);
  }

  abandon(): boolean {
    if (this.bodyStarted || this.#ended) return false;
    this.end();
    return true;
  }

  firstByte(i: Info<"firstByte">): void {
    this.ttfb ??= i.ttfb;
    if (this.#live() && observed(this.#entry)) publish(this.#entry, { type: "FirstByte", ...i });
  }

  retrying(i: Info<"retrying">): void {
    if (this.#live())
      publish(this.#entry, { type: "RequestRetrying", ...i, error: errorInfo(i.error) });
  }

  bodyStalled(i: Info<"bodyStalled">): void {
    if (this.#live()) publish(this.#entry, { type: "BodyStalled", ...i });
  }

  bodyResumed(i: Info<"bodyResumed">): void {
    if (this.#live()) publish(this.#entry, { type: "BodyResumed", ...i });
  }

  retryExhausted(i: Info<"retryExhausted">): void {
    if (this.#live())
      publish(this.#entry, { type: "RetryExhausted", ...i, error: errorInfo(i.error) });
  }
}

/**
 * Start one dispatched fetch. The streaming or whole-body runner is the fetch's only async
 * frame (one promise per fetch, no wrapper awaiting it); it never rejects.
 */
export function runFetch(ctx: RunContext, entry: Entry): void {
  const run = new FetchRun(ctx, entry);
  entry.run = run;
  if (observed(entry))
    publish(entry, { type: "RequestStarted", waitInQueue: run.startedAt - entry.enqueuedAt });
  if (entry.kind === "stream") void streamBody(ctx, entry, requestOptions(entry, run), run);
  else void wholeBody(ctx, entry, requestOptions(entry, run), run);
}

/** The runner's last step, whatever happened: the one ending, then the run is settled. */
function settle(ctx: RunContext, entry: Entry, run: FetchRun): void {
  try {
    run.end();
    releaseToken(entry);
  } finally {
    ctx.settled();
  }
}

function requestOptions(entry: Entry, observer: NetObserver): RequestOptions {
  const { cmd } = entry;
  const opts: RequestOptions = { signal: entry.token.signal, observer };
  if (cmd.headers) opts.headers = cmd.headers;
  if (cmd.rejectHtml) opts.rejectHtml = true;
  const validate = cmd.validate;
  if (validate) {
    opts.validate = (r) => {
      checkCancelled(entry); // an abandoned fetch (DL-16) calls nothing of its peer's any more
      try {
        validate(fromHeaders(r.status, r.url, r.headers));
      } catch (err) {
        throw asNetError(err, r.url, "validator");
      }
    };
  }
  return opts;
}

/** Stop when the token fired, or when the fetch was abandoned (DL-16: it already completed). */
function checkCancelled(entry: Entry): void {
  if (entry.token.isCancelled || entry.state !== "running")
    throw cancelledError(entry.cmd.url, entry.token.reason);
}

async function streamBody(
  ctx: RunContext,
  entry: StreamEntry,
  opts: RequestOptions,
  out: FetchRun,
): Promise<void> {
  try {
    const { cmd } = entry;
    if (entry.method === "HEAD") {
      out.info = fromHead(await ctx.http.head(cmd.url, opts));
      return;
    }
    const res = cmd.range
      ? await ctx.http.getRange(cmd.url, cmd.range, opts)
      : await ctx.http.stream(cmd.url, opts);
    out.info = fromStream(res);
    const { writer, onResponse } = cmd;
    if (!writer) {
      await res.dispose();
      return;
    }
    try {
      checkCancelled(entry);
      if (onResponse) {
        const info = out.info;
        try {
          onResponse(info);
        } catch (err) {
          throw asNetError(err, cmd.url, "onResponse");
        }
      }
      for await (const chunk of res.body) {
        checkCancelled(entry);
        out.bodyStarted = true;
        try {
          const pending = writer(chunk);
          if (pending) await pending;
        } catch (err) {
          throw asNetError(err, cmd.url, "writer");
        }
        out.bytes += chunk.byteLength;
        ctx.progress();
      }
      // No check after the last chunk: a token fired meanwhile still ends it cancelled (terminate).
    } catch (err) {
      await res.dispose().catch(() => {});
      throw err;
    }
  } catch (err) {
    out.error = err;
    await null; // a client that threw synchronously: never end inside the dispatching pump
  } finally {
    settle(ctx, entry, out);
  }
}

async function wholeBody(
  ctx: RunContext,
  entry: ExecEntry,
  opts: RequestOptions,
  out: FetchRun,
): Promise<void> {
  try {
    const { cmd } = entry;
    if (entry.method === "HEAD") {
      out.info = fromHead(await ctx.http.head(cmd.url, opts));
      out.body = new Uint8Array(0);
      return;
    }
    if (!cmd.range) {
      const res = await ctx.http.getBytes(cmd.url, opts);
      out.info = fromHeaders(res.status, res.url, res.headers);
      out.body = res.bytes;
      out.bytes = res.bytes.byteLength;
      return;
    }
    const res = await ctx.http.getRange(cmd.url, cmd.range, opts);
    out.info = fromStream(res);
    const chunks: Uint8Array[] = [];
    try {
      for await (const chunk of res.body) {
        checkCancelled(entry);
        out.bodyStarted = true;
        chunks.push(chunk);
        out.bytes += chunk.byteLength;
        ctx.progress();
      }
      // No check after the last chunk: a token fired meanwhile still ends it cancelled (terminate).
    } catch (err) {
      await res.dispose().catch(() => {});
      throw err;
    }
    const joined = Buffer.concat(chunks);
    out.body = new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
  } catch (err) {
    out.error = err;
    await null; // a client that threw synchronously: never end inside the dispatching pump
  } finally {
    settle(ctx, entry, out);
  }
}

function terminate(ctx: RunContext, entry: Entry, out: FetchRun, duration: number): void {
  const { bytes, info, ttfb } = out;
  let error: NetError | undefined;
  // An abandoned victim (DL-16) ends before its token is cancelled: `preempted` says cancelled.
  const cancelled = entry.token.isCancelled || entry.preempted;
  if (out.error === undefined && !cancelled) {
    if (entry.method === "GET" && bytes > 0) {
      const sample: BandwidthSample =
        ttfb === undefined
          ? { bytes, durationMs: duration, source: "network" }
          : { bytes, durationMs: duration, ttfbMs: ttfb, source: "network" };
      try {
        ctx.abr.recordBandwidth(entry.peer.id, sample);
      } catch {
        ctx.callbackFailed();
      }
    }
    if (observed(entry)) {
      const bandwidthBps = (bytes * 8000) / Math.max(duration, 1);
      publish(entry, { type: "RequestCompleted", bytes, duration, bandwidthBps });
    }
  } else if (cancelled) {
    const reason = cancelReason(entry, ctx.token);
    publish(entry, { type: "RequestCancelled", reason, bytes });
    error = isCancelled(out.error)
      ? (out.error as NetError)
      : cancelledError(entry.cmd.url, reason);
  } else {
    error = asNetError(out.error, entry.cmd.url, "request");
    publish(entry, { type: "RequestFailed", error: errorInfo(error), retryable: error.retryable });
  }
  complete(ctx, entry, bytes, info, out.body, error);
}

/** The one completion of an entry (DL-7): `onComplete` or the imperative settle. */
export function complete(
  ctx: Pick<RunContext, "callbackFailed">,
  entry: Entry,
  bytes: number,
  info: ResponseInfo | undefined,
  body: Uint8Array | undefined,
  error: NetError | undefined,
): void {
  if (entry.kind === "stream") {
    const { onComplete } = entry.cmd;
    try {
      onComplete(bytes, info, error);
    } catch {
      ctx.callbackFailed();
    }
  } else if (error || !info) {
    entry.settle({ ok: false, error: error ?? cancelledError(entry.cmd.url) });
  } else {
    entry.settle({ ok: true, value: { response: info, bytes: body ?? new Uint8Array(0) } });
  }
}
