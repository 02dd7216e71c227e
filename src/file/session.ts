/**
 * One progressive resource shared by every reader of its URL in this process (FILE-2): the
 * readers' demand, the elected writer and its peer, hand-over when the writer's reader leaves,
 * failure, and the `file` events (FILE-7).
 */
import type { Timer } from "../core/clock.js";
import { errorInfo } from "../core/errors.js";
import type { EventBus } from "../events/bus.js";
import type { FileEvent } from "../events/domains/file.js";
import type { ResourceHandle, ResourceWriter } from "../store/types.js";
import { FileError } from "./errors.js";
import { FilePeer, type PeerOwner } from "./peer.js";
import type { Demand } from "./plan.js";
import type { FileContext, FileOptions } from "./types.js";

/** What the session needs from each attached reader. */
export interface SessionReader {
  demand(): Demand;
  readonly playing: boolean;
}

type FileEventBody = FileEvent extends infer E
  ? E extends FileEvent
    ? Omit<E, "domain" | "url">
    : never
  : never;

interface Tunables {
  seekGap: number;
  progressBytes: number;
  claimRetryMs: number;
}

export class FileSession implements PeerOwner {
  readonly url: string;
  readonly handle: ResourceHandle;
  readonly #ctx: FileContext;
  readonly #bus: EventBus;
  readonly #t: Tunables;
  readonly #gone: () => void;
  readonly #readers = new Set<SessionReader>();
  /** The reader whose presence keeps the current writer (FILE-2). */
  #writerReader: SessionReader | undefined;
  #peer: FilePeer | undefined;
  /** A claim attempt or a hand-over is under way. */
  #electing = false;
  #retry: Timer | undefined;
  #failure: FileError | undefined;
  readonly #failCtl = new AbortController();
  #totalAnnounced = false;
  #completeAnnounced = false;
  #lastProgress = 0;
  #started: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void };
  #contentType: string | undefined;
  /** The failed writer being discarded or released; readers leaving wait for it. */
  #retiring: Promise<void> | undefined;

  constructor(
    ctx: FileContext,
    url: string,
    handle: ResourceHandle,
    options: FileOptions,
    gone: () => void,
  ) {
    this.#ctx = ctx;
    this.url = url;
    this.handle = handle;
    this.#gone = gone;
    this.#bus = ctx.bus.scoped();
    this.#t = {
      seekGap: options.seekGap ?? 1024 * 1024,
      progressBytes: options.progressBytes ?? 1024 * 1024,
      claimRetryMs: options.claimRetryMs ?? 500,
    };
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {});
    this.#started = { promise, resolve, reject };
    // Partial bytes are trusted only once the first answer confirmed their validator.
    if (handle.state() === "committed") resolve();
    const total = handle.finalLength();
    if (total !== undefined) this.totalKnown(total);
  }

  publish(body: FileEventBody): void {
    this.#bus.publish({ domain: "file", url: this.url, ...body } as FileEvent);
  }

  /**
   * Resolves once the resource is usable: committed, or the first response was accepted (which
   * also revalidates partial bytes from an earlier run, dropping them if they are stale).
   */
  started(): Promise<void> {
    return this.#started.promise;
  }

  get failure(): FileError | undefined {
    return this.#failure;
  }

  get failSignal(): AbortSignal {
    return this.#failCtl.signal;
  }

  attach(reader: SessionReader): void {
    this.#readers.add(reader);
    this.#elect();
  }

  /** A reader left. If it held the writer, a survivor takes over from the bytes on disk (FILE-2). */
  async detach(reader: SessionReader): Promise<void> {
    if (!this.#readers.delete(reader)) return;
    if (reader === this.#writerReader) {
      const peer = this.#peer;
      this.#peer = undefined;
      this.#writerReader = undefined;
      if (peer) {
        this.#electing = true;
        try {
          await this.#retire(peer, false);
        } finally {
          this.#electing = false;
        }
      }
    }
    await this.#retiring;
    if (this.#readers.size > 0) this.#elect();
    else this.#end();
  }

  /** A reader needs `start` now (seek or blocked read), or moved its position. */
  demand(start: number): void {
    if (this.#peer) this.#peer.demand(start);
    else this.#elect();
  }

  priorityChanged(): void {
    this.#peer?.wake();
  }

  #end(): void {
    this.#retry?.cancel();
    this.#retry = undefined;
    this.#gone();
  }

  #elect(): void {
    if (this.#peer || this.#electing || this.#failure || this.#readers.size === 0) return;
    if (this.handle.state() === "committed") {
      // Another process finished it while we waited for the claim (the claim reloads it).
      this.#started.resolve();
      return;
    }
    this.#retry?.cancel();
    this.#retry = undefined;
    this.#electing = true;
    this.handle.tryClaim().then(
      (writer) => {
        this.#electing = false;
        this.#claimed(writer);
      },
      (err: unknown) => {
        this.#electing = false;
        this.failed(err, false);
      },
    );
  }

  #claimed(writer: ResourceWriter | undefined): void {
    if (!writer) {
      // Another process writes it; try again later (its claim dies with it, STORE-2).
      if (this.#readers.size > 0)
        this.#retry = this.#ctx.clock.setTimer(this.#t.claimRetryMs, () => this.#elect());
      return;
    }
    const first = this.#readers.values().next();
    if (first.done || this.#failure || this.handle.state() === "committed") {
      void writer.release();
      return;
    }
    this.#writerReader = first.value;
    const peer = new FilePeer(this, writer, this.#t.seekGap);
    this.#peer = peer;
    peer.attach(this.#ctx.downloader.register(peer, { bus: this.#bus }));
    peer.wake();
  }

  /** Stop a peer and end its claim: keep the bytes for a successor, or delete them. */
  async #retire(peer: FilePeer, discard: boolean): Promise<void> {
    await peer.stop();
    const w = peer.writer;
    if (w.closed) return;
    if (discard || this.handle.presentBytes() === 0) await w.discard();
    else await w.release();
  }

  // ---- PeerOwner ----

  demands(): Demand[] {
    return [...this.#readers].map((r) => r.demand());
  }

  playing(): boolean {
    for (const r of this.#readers) if (r.playing) return true;
    return false;
  }

  responded(contentType: string | undefined): void {
    this.#contentType = contentType;
    this.#started.resolve();
  }

  sawContentType(contentType: string | undefined): void {
    this.#contentType = contentType;
  }

  wrote(downloaded: number): void {
    if (downloaded - this.#lastProgress < this.#t.progressBytes) return;
    this.#lastProgress = downloaded;
    this.publish({
      type: "Progress",
      downloaded,
      total: this.handle.finalLength() ?? null,
    });
  }

  totalKnown(total: number): void {
    if (this.#totalAnnounced) return;
    this.#totalAnnounced = true;
    this.publish({ type: "TotalBytesResolved", total });
  }

  committed(total: number): void {
    this.#peer = undefined;
    this.#writerReader = undefined;
    this.#started.resolve();
    if (this.#completeAnnounced) return;
    this.#completeAnnounced = true;
    this.publish({ type: "CacheComplete", total });
  }

  failed(error: unknown, discard: boolean): void {
    if (this.#failure) return;
    const f = new FileError(
      "FILE_FAILED",
      this.url,
      `download failed: ${this.url}: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
    f.contentType = this.#contentType;
    this.#failure = f;
    this.publish({ type: "Error", error: errorInfo(error) });
    this.#failCtl.abort(f);
    this.#started.reject(f);
    const peer = this.#peer;
    this.#peer = undefined;
    this.#writerReader = undefined;
    if (peer) this.#retiring = this.#retire(peer, discard).catch(() => {});
    this.#end();
  }
}
