/**
 * The response side both Node backends share: a head promise and a body iterator in one
 * object, fed by the transport (`deliverHead`, `deliverChunk`, `deliverEnd`, `deliverError`)
 * and read by the client (`next()`). Chunks delivered while nobody waits are queued (FIFO);
 * past `HIGH_WATER` queued bytes the transport is asked to pause (`pauseSource`) and, once
 * the reader has drained to half, to resume (`resumeSource`). State moves one way:
 * pending head -> streaming -> ended | failed.
 */
import { toNetError } from "./errors.js";
import type { Headers, RawRequest, RawResponse } from "./types.js";

/** Bytes a body buffers ahead of its reader before the socket is paused (backpressure). */
export const HIGH_WATER = 1 << 20;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** What a body reports about its read-ahead (observability and tests). */
export interface BufferedBody {
  /** Bytes received and not yet handed to the reader. */
  readonly bufferedBytes: number;
  /** True while the socket is paused because `bufferedBytes` passed `HIGH_WATER`. */
  readonly paused: boolean;
}

type Settlers<T> = { resolve: (v: T) => void; reject: (e: unknown) => void };

export abstract class BodyChannel
  implements AsyncIterableIterator<Uint8Array, undefined>, BufferedBody
{
  readonly head: Promise<RawResponse>;
  readonly url: string;
  #settleHead: Settlers<RawResponse> | undefined;
  #chunks: Uint8Array[] = [];
  #first = 0;
  #queued = 0;
  #paused = false;
  #ended = false;
  #error: unknown;
  #failed = false;
  #waiter: Settlers<IteratorResult<Uint8Array, undefined>> | undefined;

  constructor(req: RawRequest) {
    this.url = req.url;
    this.head = new Promise<RawResponse>((resolve, reject) => {
      this.#settleHead = { resolve, reject };
    });
  }

  /** Stop reading from the transport (read-ahead is full). */
  protected abstract pauseSource(): void;
  /** Read from the transport again. */
  protected abstract resumeSource(): void;
  /** Tear the transfer down: the body was released before its end. */
  protected abstract abortSource(reason: Error): void;

  /** True once the body ended or failed: nothing more will be delivered. */
  get settled(): boolean {
    return this.#ended || this.#failed;
  }

  // --- the transport's side --------------------------------------------------------------

  protected deliverHead(status: number, headers: Headers, url: string = this.url): void {
    const settle = this.#settleHead;
    this.#settleHead = undefined;
    settle?.resolve({ status, url, headers, body: this, dispose: this.#dispose });
  }

  protected deliverChunk(chunk: Uint8Array): void {
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      w.resolve({ done: false, value: chunk });
      return;
    }
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued > HIGH_WATER && !this.#paused) {
      this.#paused = true;
      this.pauseSource();
    }
  }

  protected deliverEnd(): void {
    if (this.settled) return;
    this.#ended = true;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.resolve(DONE);
  }

  /** Fail the head (when still pending) and the body; later deliveries are ignored. */
  protected deliverError(err: unknown): void {
    if (this.settled) return;
    this.#failed = true;
    this.#error = toNetError(err, this.url);
    const head = this.#settleHead;
    this.#settleHead = undefined;
    head?.reject(this.#error);
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(this.#error);
  }

  // --- the reader's side -----------------------------------------------------------------

  get bufferedBytes(): number {
    return this.#queued;
  }

  get paused(): boolean {
    return this.#paused;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (this.#first < this.#chunks.length) {
      const chunk = this.#chunks[this.#first] as Uint8Array;
      this.#first++;
      this.#queued -= chunk.length;
      if (this.#first === this.#chunks.length) {
        this.#chunks = [];
        this.#first = 0;
      }
      if (this.#paused && this.#queued <= HIGH_WATER / 2) {
        this.#paused = false;
        this.resumeSource();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.#ended) return Promise.resolve(DONE);
    if (this.#failed) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /**
   * Release the body. A body that reached its end has already returned its connection to
   * the pool; an unfinished one is aborted, which costs the connection.
   */
  readonly #dispose = async (): Promise<void> => {
    this.#chunks = [];
    this.#first = 0;
    this.#queued = 0;
    if (this.settled) return;
    this.abortSource(new Error("body released before its end"));
  };
}
