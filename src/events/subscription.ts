import type { BusMessage, Envelope } from "./types.js";

/**
 * An async-iterator subscriber with a bounded buffer (EVT-3): when full, the oldest envelope
 * is dropped and the next read reports `{ lagged: n }` first. The publisher never waits.
 */
export class Subscription implements AsyncIterableIterator<BusMessage> {
  readonly #capacity: number;
  #buf: Envelope[] = [];
  #head = 0;
  #dropped = 0;
  #closed = false;
  #waiter: ((r: IteratorResult<BusMessage>) => void) | undefined;
  readonly #unsubscribe: () => void;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.close();

  constructor(
    capacity: number,
    subscribe: (push: (e: Envelope) => void) => () => void,
    signal?: AbortSignal,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be >= 1, got ${capacity}`);
    this.#capacity = capacity;
    this.#unsubscribe = subscribe((e) => this.#push(e));
    this.#signal = signal;
    if (signal?.aborted) this.close();
    else signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  get buffered(): number {
    return this.#buf.length - this.#head;
  }

  #push(e: Envelope): void {
    if (this.#closed) return;
    const w = this.#waiter;
    if (w && this.buffered === 0 && this.#dropped === 0) {
      this.#waiter = undefined;
      w({ value: e, done: false });
      return;
    }
    if (this.buffered >= this.#capacity) {
      this.#head++;
      this.#dropped++;
    }
    this.#buf.push(e);
    if (this.#head > 1024 && this.#head * 2 > this.#buf.length) {
      this.#buf = this.#buf.slice(this.#head);
      this.#head = 0;
    }
  }

  next(): Promise<IteratorResult<BusMessage>> {
    if (this.#dropped > 0) {
      const lagged = this.#dropped;
      this.#dropped = 0;
      return Promise.resolve({ value: { lagged }, done: false });
    }
    if (this.buffered > 0) {
      const value = this.#buf[this.#head++] as Envelope;
      return Promise.resolve({ value, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiter) return Promise.reject(new Error("Subscription.next() called concurrently"));
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<BusMessage>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Stop receiving; buffered envelopes are discarded and a pending `next()` ends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#buf = [];
    this.#head = 0;
    this.#dropped = 0;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
