/**
 * Test harness for the Downloader suites: a scriptable peer, a completion recorder, and a
 * cap tracker that checks the in-flight count at every lifecycle event. Real HTTP over
 * loopback (the fault server); nothing here replaces plectrum code.
 */
import type { AbrRegistry } from "../../src/abr/types.js";
import type { NetError } from "../../src/core/errors.js";
import type { Downloader } from "../../src/dl/downloader.js";
import type { PeerHandle } from "../../src/dl/peer-handle.js";
import type { FetchCmd, Peer, PollResult, Priority, ResponseInfo } from "../../src/dl/types.js";
import type { Envelope } from "../../src/events/types.js";
import { createHttpClient } from "../../src/net/index.js";
import type { HttpClient } from "../../src/net/types.js";

/** A real client with deterministic retries (no jitter) and no retries by default. */
export function testClient(maxRetries = 0): HttpClient {
  return createHttpClient({ maxRetries, jitter: 0 });
}

/** A peer driven by the test: `push` queues commands and wakes the downloader. */
export class ScriptPeer implements Peer {
  prio: Priority;
  polls = 0;
  finished = false;
  handle: PeerHandle | undefined;
  #pending: FetchCmd[] = [];

  constructor(prio: Priority = "low") {
    this.prio = prio;
  }

  attach(dl: Downloader<AbrRegistry>): this {
    this.handle = dl.register(this);
    return this;
  }

  poll(): PollResult {
    this.polls++;
    if (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      return batch;
    }
    return this.finished ? "done" : "pending";
  }

  priority(): Priority {
    return this.prio;
  }

  push(...cmds: FetchCmd[]): void {
    this.#pending.push(...cmds);
    this.handle?.wake();
  }
}

export interface Completion {
  bytes: number;
  response: ResponseInfo | undefined;
  error: NetError | undefined;
}

/** Builds commands whose completions are recorded by key; `done(key)` resolves on completion. */
export class Recorder {
  readonly completions = new Map<string, Completion[]>();
  readonly order: string[] = [];
  #waiters = new Map<string, Array<(c: Completion) => void>>();

  cmd(key: string, url: string, extra: Partial<FetchCmd> = {}): FetchCmd {
    return {
      url,
      writer: () => {},
      ...extra,
      onComplete: (bytes, response, error) => {
        const c = { bytes, response, error };
        const list = this.completions.get(key) ?? [];
        list.push(c);
        this.completions.set(key, list);
        this.order.push(key);
        for (const w of this.#waiters.get(key) ?? []) w(c);
        this.#waiters.delete(key);
        extra.onComplete?.(bytes, response, error);
      },
    };
  }

  done(key: string): Promise<Completion> {
    const first = this.completions.get(key)?.[0];
    if (first) return Promise.resolve(first);
    return new Promise((resolve) => {
      const list = this.#waiters.get(key) ?? [];
      list.push(resolve);
      this.#waiters.set(key, list);
    });
  }

  count(key: string): number {
    return this.completions.get(key)?.length ?? 0;
  }
}

/** Watches every lifecycle event on `dl.bus`: in flight never above `cap`, per-request order. */
export class CapTracker {
  inFlight = 0;
  max = 0;
  violations: string[] = [];
  readonly events: Envelope[] = [];
  readonly started = new Set<number>();
  readonly off: () => void;

  constructor(dl: Downloader<AbrRegistry>, cap: number) {
    this.off = dl.bus.subscribe((env) => {
      this.events.push(env);
      const e = env.event;
      if (e.domain !== "downloader") return;
      if (e.type === "RequestStarted") this.inFlight++;
      if (
        e.type === "RequestCompleted" ||
        e.type === "RequestFailed" ||
        (e.type === "RequestCancelled" && this.started.has(e.requestId))
      )
        this.inFlight--;
      if (e.type === "RequestStarted") this.started.add(e.requestId);
      this.max = Math.max(this.max, this.inFlight);
      if (this.inFlight > cap || dl.inFlight > cap)
        this.violations.push(`${e.type}: events ${this.inFlight}, dl ${dl.inFlight} > ${cap}`);
    });
  }

  /** Event types of one request, in publish order. */
  typesOf(requestId: number): string[] {
    return this.events
      .map((env) => env.event)
      .filter((e) => "requestId" in e && e.requestId === requestId)
      .map((e) => e.type);
  }
}
