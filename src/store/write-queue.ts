/**
 * Write-behind for one `.part` (BENCH-3): contiguous chunks are coalesced into batches of up to
 * `BATCH_BYTES` and each batch is written with ONE positional `writev`, at most `MAX_WRITES` in
 * flight. A batch is closed when it is full or when the next chunk is not contiguous; once the
 * event-loop turn in which its first chunk arrived has ended, it is written as soon as no write
 * is in flight. So a slow stream lands each chunk one loop turn after it arrived (readers never
 * wait for a batch to fill), while a fast one, whose writes keep the disk busy, keeps filling
 * the batch meanwhile (fewer, larger writes). `landed` is called only after a batch's bytes are
 * written (STORE-3: the index never runs ahead of disk).
 */
import { giveBack } from "../core/lending.js";
import type { BytesFile } from "./backend.js";

/** Target size of one positional write. */
export const BATCH_BYTES = 1024 * 1024;
/** Positional writes in flight at once (non-overlapping offsets, so order does not matter). */
const MAX_WRITES = 2;
/** Stay well under IOV_MAX (1024) when a server sends tiny chunks. */
const MAX_CHUNKS = 256;
/** Bytes queued or in flight beyond which `append` asks its caller to wait. */
export const QUEUE_BUDGET = 4 * BATCH_BYTES;

interface Batch {
  start: number;
  end: number;
  chunks: Uint8Array[];
  /** Chunks handed over by the caller: given back (core `giveBack`) once written or dropped. */
  handedOver: Uint8Array[] | undefined;
}

/** End of the current event-loop turn; a microtask where `setImmediate` does not exist. */
const later: (fn: () => void) => void =
  typeof setImmediate === "function"
    ? (fn) => {
        setImmediate(fn);
      }
    : queueMicrotask;

export class WriteQueue {
  readonly #file: BytesFile;
  readonly #landed: (start: number, end: number) => void;
  /** The batch still accepting chunks. */
  #open: Batch | undefined;
  /** Closed batches waiting for a write slot, oldest first. */
  readonly #ready: Batch[] = [];
  #writing = 0;
  /** Bytes appended and not yet landed (or dropped after a failure). */
  #queued = 0;
  #turnScheduled = false;
  /** The open batch's loop turn has ended: write it as soon as a write slot is free. */
  #due = false;
  #failure: unknown;
  /** `flush()` callers: wake when nothing is queued. */
  #idle: Array<() => void> = [];
  /** Back-pressured `append` callers: wake when the queue is back under budget. */
  #room: Array<() => void> = [];

  constructor(file: BytesFile, landed: (start: number, end: number) => void) {
    this.#file = file;
    this.#landed = landed;
  }

  /** The first failed write, if any: the queue refuses further bytes once one failed. */
  get failure(): unknown {
    return this.#failure;
  }

  /**
   * Queue `bytes` at `offset` (the caller must not modify them afterwards; with `handOver`
   * not read them either: once written or dropped they are given back to their lender). Returns a promise
   * only when more than `QUEUE_BUDGET` bytes are queued: the caller should wait (back-pressure).
   * Throws the first write failure.
   */
  append(offset: number, bytes: Uint8Array, handOver = false): Promise<void> | undefined {
    if (this.#failure !== undefined) throw this.#failure;
    const n = bytes.byteLength;
    if (n === 0) return undefined;
    let b = this.#open;
    if (b !== undefined && b.end === offset) {
      b.chunks.push(bytes);
      b.end += n;
    } else {
      if (b !== undefined) this.#closeOpen();
      b = { start: offset, end: offset + n, chunks: [bytes], handedOver: undefined };
      this.#open = b;
    }
    if (handOver) {
      if (b.handedOver === undefined) b.handedOver = [bytes];
      else b.handedOver.push(bytes);
    }
    this.#queued += n;
    if (b.end - b.start >= BATCH_BYTES || b.chunks.length >= MAX_CHUNKS) {
      this.#closeOpen();
    } else if (!this.#turnScheduled && !this.#due) {
      // A due batch waits for the disk, not for a turn: no callback per chunk meanwhile.
      this.#turnScheduled = true;
      later(() => {
        this.#turnScheduled = false;
        if (this.#open === undefined) return;
        this.#due = true;
        this.#pump();
      });
    }
    this.#pump();
    if (this.#queued <= QUEUE_BUDGET) return undefined;
    return new Promise<void>((resolve) => this.#room.push(resolve));
  }

  /** Write everything queued now; resolves once it has landed, throws the first failure. */
  async flush(): Promise<void> {
    this.#closeOpen();
    if (this.#queued > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    if (this.#failure !== undefined) throw this.#failure;
  }

  #closeOpen(): void {
    this.#due = false;
    if (this.#open === undefined) return;
    this.#ready.push(this.#open);
    this.#open = undefined;
    this.#pump();
  }

  #pump(): void {
    while (this.#writing < MAX_WRITES) {
      const b = this.#ready.shift() ?? this.#takeDue();
      if (b === undefined) return;
      this.#write(b);
    }
  }

  /** The open batch once its loop turn has ended (it kept growing while the slots were busy). */
  #takeDue(): Batch | undefined {
    if (!this.#due || this.#writing > 0) return undefined;
    const b = this.#open;
    this.#open = undefined;
    this.#due = false;
    return b;
  }

  #write(b: Batch): void {
    this.#writing++;
    const [only] = b.chunks;
    const p =
      b.chunks.length === 1 && only !== undefined
        ? this.#file.write(b.start, only)
        : this.#file.writev(b.start, b.chunks);
    void p.then(
      () => this.#done(b, true),
      (err: unknown) => {
        this.#failure ??= err;
        this.#done(b, false);
      },
    );
  }

  #done(b: Batch, ok: boolean): void {
    this.#writing--;
    this.#queued -= b.end - b.start;
    release(b);
    if (ok) {
      try {
        this.#landed(b.start, b.end);
      } catch (err) {
        this.#failure ??= err;
      }
    }
    if (this.#failure !== undefined) this.#dropQueued();
    else this.#pump();
    if (this.#queued <= QUEUE_BUDGET) wake(this.#room.splice(0));
    if (this.#queued === 0) wake(this.#idle.splice(0));
  }

  /** After a failure nothing more is written: queued bytes are dropped (never indexed). */
  #dropQueued(): void {
    const dropped = this.#open === undefined ? this.#ready : [...this.#ready, this.#open];
    for (const b of dropped) {
      this.#queued -= b.end - b.start;
      release(b);
    }
    this.#ready.length = 0;
    this.#open = undefined;
    this.#due = false;
  }
}

/** The bytes of `b` are written (or dropped): give back what was handed over. */
function release(b: Batch): void {
  const lent = b.handedOver;
  if (lent === undefined) return;
  b.handedOver = undefined;
  for (const chunk of lent) giveBack(chunk);
}

function wake(fns: Array<() => void>): void {
  for (const fn of fns) fn();
}
