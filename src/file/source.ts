/**
 * One reader of a progressive resource (RES-2 over FILE-1..6): its position, look-ahead and
 * blocked waits feed the shared peer's plan; its reads come from the store, which is the only
 * authority on which bytes exist (STORE-3). Structurally a resource `ByteSource`.
 */
import { cancelledError } from "../core/errors.js";
import type { ResourceReader } from "../store/types.js";
import { checkOffset, FileError } from "./errors.js";
import type { Demand } from "./plan.js";
import type { FileSession, SessionReader } from "./session.js";

export interface SourceOptions {
  lookAhead?: number | undefined;
  playing?: boolean | undefined;
}

export class FileSource implements SessionReader {
  readonly url: string;
  readonly #s: FileSession;
  readonly #reader: ResourceReader;
  readonly #lookAhead: number;
  readonly #closeCtl = new AbortController();
  readonly #blocked: number[] = [];
  #position = 0;
  #requestedEnd = 0;
  #playing: boolean;
  #closed = false;

  constructor(session: FileSession, reader: ResourceReader, options: SourceOptions) {
    this.url = session.url;
    this.#s = session;
    this.#reader = reader;
    this.#lookAhead = options.lookAhead ?? Number.POSITIVE_INFINITY;
    if (!(this.#lookAhead >= 0))
      throw new FileError(
        "FILE_BAD_ARGUMENT",
        this.url,
        `lookAhead must be >= 0, got ${this.#lookAhead}`,
      );
    this.#playing = options.playing ?? false;
  }

  get length(): number | null {
    return this.#s.handle.finalLength() ?? null;
  }

  get position(): number {
    return this.#position;
  }

  get playing(): boolean {
    return this.#playing;
  }

  demand(): Demand {
    return {
      position: this.#position,
      lookAhead: this.#lookAhead,
      requestedEnd: this.#requestedEnd,
      blocked: this.#blocked,
    };
  }

  #check(): void {
    if (this.#closed) throw new FileError("FILE_CLOSED", this.url, `reader closed: ${this.url}`);
    const f = this.#s.failure;
    if (f) throw f;
  }

  #settled(start: number, end: number): "ready" | "eof" | undefined {
    const h = this.#s.handle;
    const total = h.finalLength();
    if (total !== undefined && start >= total) return "eof";
    return h.containsRange(start, total === undefined ? end : Math.min(end, total))
      ? "ready"
      : undefined;
  }

  async waitRange(
    start: number,
    end: number,
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<"ready" | "eof"> {
    checkOffset(this.url, start, "start");
    checkOffset(this.url, end, "end");
    if (end < start)
      throw new FileError(
        "FILE_BAD_ARGUMENT",
        this.url,
        `range end ${end} is before start ${start}`,
      );
    this.#check();
    const now = this.#settled(start, end);
    if (now) return now;
    const user = options.signal;
    if (user?.aborted) throw cancelledError(this.url, user.reason);
    this.#requestedEnd = Math.max(this.#requestedEnd, end);
    this.#blocked.push(start);
    const signals = [this.#closeCtl.signal, this.#s.failSignal];
    if (user) signals.push(user);
    try {
      this.#s.demand(start);
      await this.#s.handle.waitRange(start, end, AbortSignal.any(signals));
    } catch (err) {
      this.#check();
      if (user?.aborted) throw cancelledError(this.url, user.reason);
      throw err;
    } finally {
      this.#blocked.splice(this.#blocked.indexOf(start), 1);
    }
    // Present now; at the proven end the range was clamped (never a premature EOF).
    return this.#settled(start, end) ?? "ready";
  }

  async readAt(
    offset: number,
    buffer: Uint8Array,
    options?: { signal?: AbortSignal | undefined },
  ): Promise<number> {
    if ((await this.waitRange(offset, offset + buffer.length, options)) === "eof") return 0;
    if (buffer.length === 0) return 0;
    const total = this.#s.handle.finalLength();
    const n = total === undefined ? buffer.length : Math.min(buffer.length, total - offset);
    buffer.set(await this.#reader.read(offset, n));
    return n;
  }

  seek(offset: number): void {
    checkOffset(this.url, offset, "offset");
    this.#check();
    const moved = offset !== this.#position;
    this.#position = offset;
    if (moved) this.#s.demand(offset);
  }

  setPlaying(playing: boolean): void {
    if (playing === this.#playing) return;
    this.#playing = playing;
    this.#s.priorityChanged();
  }

  /** Leave the shared download; if this reader held the writer, a survivor takes over (FILE-2). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeCtl.abort(new FileError("FILE_CLOSED", this.url, `reader closed: ${this.url}`));
    try {
      await this.#s.detach(this);
    } finally {
      await this.#reader.close();
    }
  }
}
