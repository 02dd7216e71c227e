/**
 * The scoped event bus (EVT-1..3). A publish reaches the publisher's subscribers and every
 * ancestor's, never a sibling's. One sequence counter is shared by the whole hierarchy.
 */
import { type Clock, systemClock } from "../core/clock.js";
import { Subscription } from "./subscription.js";
import type { Envelope, Labels, PlectrumEvent } from "./types.js";

export const DEFAULT_SUBSCRIBER_CAPACITY = 1024;

interface Hierarchy {
  seq: number;
  nextId: number;
  clock: Clock;
  /** Errors thrown by synchronous subscribers; they never reach the publisher. */
  subscriberErrors: number;
}

export interface SubscribeOptions {
  /** Async subscribers: buffer size before the oldest is dropped (default 1024). */
  capacity?: number;
  signal?: AbortSignal;
}

export class EventBus {
  readonly id: number;
  readonly parent: EventBus | undefined;
  readonly labels: Readonly<Labels>;
  readonly #h: Hierarchy;
  readonly #subs = new Set<(e: Envelope) => void>();

  private constructor(h: Hierarchy, parent: EventBus | undefined, labels: Labels) {
    this.#h = h;
    this.id = h.nextId++;
    this.parent = parent;
    this.labels = labels;
  }

  /** A new root bus. The clock stamps `ts` (CORE-2). */
  static root(options: { clock?: Clock } = {}): EventBus {
    return new EventBus(
      { seq: 0, nextId: 1, clock: options.clock ?? systemClock, subscriberErrors: 0 },
      undefined,
      {},
    );
  }

  /** A child bus; its labels override the parent's, unset ones inherit (EVT-2). */
  scoped(labels: Labels = {}): EventBus {
    const merged: Labels = { ...this.labels };
    if (labels.deck !== undefined) merged.deck = labels.deck;
    if (labels.track !== undefined) merged.track = labels.track;
    return new EventBus(this.#h, this, merged);
  }

  /** Count of synchronous subscribers that threw (their errors are contained). */
  get subscriberErrors(): number {
    return this.#h.subscriberErrors;
  }

  publish(event: PlectrumEvent): void {
    const env: Envelope = {
      origin: this.id,
      seq: ++this.#h.seq,
      ts: Math.floor(this.#h.clock.now() * 1000),
      event,
    };
    if (this.labels.deck !== undefined) env.deck = this.labels.deck;
    if (this.labels.track !== undefined) env.track = this.labels.track;
    for (let bus: EventBus | undefined = this; bus; bus = bus.parent) bus.#deliver(env);
  }

  #deliver(env: Envelope): void {
    for (const fn of [...this.#subs]) {
      try {
        fn(env);
      } catch {
        this.#h.subscriberErrors++;
      }
    }
  }

  /** A synchronous subscriber. Returns the unsubscribe function. */
  subscribe(fn: (e: Envelope) => void): () => void {
    this.#subs.add(fn);
    return () => {
      this.#subs.delete(fn);
    };
  }

  /** An async-iterator subscriber with a bounded buffer (EVT-3). */
  events(options: SubscribeOptions = {}): Subscription {
    return new Subscription(
      options.capacity ?? DEFAULT_SUBSCRIBER_CAPACITY,
      (push) => this.subscribe(push),
      options.signal,
    );
  }

  /** Resolves with the first envelope matching `pred` published from now on. */
  waitFor(pred: (e: PlectrumEvent) => boolean, signal?: AbortSignal): Promise<Envelope> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        off();
        reject(signal?.reason ?? new Error("aborted"));
      };
      const off = this.subscribe((env) => {
        if (!pred(env.event)) return;
        off();
        signal?.removeEventListener("abort", onAbort);
        resolve(env);
      });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Number of synchronous subscribers on this bus (async ones count too), for leak tests. */
  get subscriberCount(): number {
    return this.#subs.size;
  }
}
