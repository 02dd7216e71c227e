/**
 * The Downloader (DL-1..17): one shared scheduler every peer pulls fetches through.
 *
 * Everything runs on one "pump", scheduled with `queueMicrotask` whenever work, capacity or
 * a wake-up appears, never nested: public methods only change state and schedule it, so a
 * callback that re-enters (an `onComplete` that registers, enqueues, disposes or closes) can
 * never observe a half-updated scheduler. See CONTEXT.md for the invariants.
 */
import { setMaxListeners } from "node:events";
import { type AbrController, createAbrController } from "../abr/controller.js";
import type { AbrRegistry } from "../abr/types.js";
import { CancelToken } from "../core/cancel.js";
import type { Clock, Timer } from "../core/clock.js";
import { cancelledError } from "../core/errors.js";
import { EventBus } from "../events/bus.js";
import type { Priority } from "../events/domains/downloader.js";
import { createHttpClient } from "../net/client.js";
import type { HttpClient } from "../net/types.js";
import { type DownloaderOptions, type ResolvedConfig, resolveConfig } from "./config.js";
import {
  cancelReason,
  type Entry,
  type ExecEntry,
  isUrgentSlot,
  type PeerRef,
  releaseToken,
  slotOf,
} from "./entry.js";
import { DownloaderClosedError } from "./errors.js";
import { complete, observed, publish, type RunContext, runFetch } from "./fetch-run.js";
import { PeerHandle, type PeerHost } from "./peer-handle.js";
import { Slots } from "./slots.js";
import { SoftTimeouts } from "./soft-timeouts.js";
import type { BatchResult, ExecCmd, FetchCmd, Peer } from "./types.js";
import { HangWatchdog } from "./watchdog.js";

const noop = (): void => {};

interface PeerState extends PeerRef {
  readonly peer: Peer;
  readonly bus: EventBus;
  /** `wake()` was called since the last poll: poll in the next round. */
  woken: boolean;
  /** The last poll returned a batch: poll again (next event-loop turn) once its queue is empty. */
  more: boolean;
  done: boolean;
  disposed: boolean;
}

export interface RegisterOptions {
  /** The peer's event bus; default a child of the downloader's bus. */
  bus?: EventBus;
}

/** A point-in-time view of the scheduler (also the HangDetected snapshot). */
export interface DownloaderSnapshot {
  inFlight: number;
  queued: [number, number, number, number];
  peers: number;
}

/**
 * `A` is the ABR controller's type: `AbrController` by default (the downloader creates one),
 * or whatever `AbrRegistry` the caller passes as `abr`.
 */
export class Downloader<A extends AbrRegistry = AbrController> implements AsyncDisposable {
  /** Downloader-level events (HangDetected); peer buses default to its children. */
  readonly bus: EventBus;
  /** The ABR controller every peer is registered with (DL-2) and every GET feeds (DL-11). */
  readonly abr: A;
  readonly #cfg: ResolvedConfig;
  readonly #clock: Clock;
  readonly #http: HttpClient;
  readonly #ownsHttp: boolean;
  readonly #token: CancelToken;
  readonly #peers = new Map<number, PeerState>();
  readonly #slots = new Slots();
  /** Fetches in flight, in dispatch order (the last is the youngest, DL-16). */
  readonly #running = new Set<Entry>();
  readonly #soft: SoftTimeouts;
  /** Fetch runs not yet settled (an abandoned one still unwinds after its slot was freed). */
  #runs = 0;
  /** Resolves `close()`'s wait once `#runs` drops to 0. */
  #drained: (() => void) | undefined;
  readonly #watchdog: HangWatchdog;
  readonly #ctx: RunContext;
  #toCancel: Entry[] = [];
  #nextRequestId = 0;
  #inFlight = 0;
  #pumpQueued = false;
  #repollQueued = false;
  #repollDue = false;
  /** A peer was registered or woken since the last poll round (skip the poll scan otherwise). */
  #pollDue = false;
  #closing = false;
  #closed: Promise<void> | undefined;
  #throttleTimer: Timer | undefined;
  #demandGateOpen = false;
  #preemptTimer: Timer | undefined;
  #preemptPending = 0;
  #callbackErrors = 0;

  constructor(options: DownloaderOptions<A> = {}) {
    this.#cfg = resolveConfig(options);
    this.#clock = this.#cfg.clock;
    this.#http = options.http ?? createHttpClient({ clock: this.#clock });
    this.#ownsHttp = options.http === undefined;
    // Without `abr`, A is the default AbrController (the generic default); the cast states that.
    this.abr =
      options.abr ??
      (createAbrController({ clock: this.#clock, ...options.abrSettings }) as AbrRegistry as A);
    this.bus = options.bus ?? EventBus.root({ clock: this.#clock });
    this.#token = options.parent ? options.parent.child() : CancelToken.root();
    this.#token.onCancel(() => void this.close());
    this.#soft = new SoftTimeouts(this.#clock, this.#cfg.softTimeoutMs, this.#running);
    this.#watchdog = new HangWatchdog(
      this.#clock,
      this.#cfg.hangTimeoutMs,
      () => this.#inFlight,
      (stalledFor) =>
        this.bus.publish({
          domain: "downloader",
          type: "HangDetected",
          stalledFor,
          ...this.snapshot(),
        }),
    );
    this.#ctx = {
      http: this.#http,
      clock: this.#clock,
      abr: this.abr,
      token: this.#token,
      finish: (e, at) => this.#finish(e, at),
      settled: () => {
        if (--this.#runs === 0) this.#drained?.();
      },
      progress: () => this.#watchdog.progress(),
      callbackFailed: () => {
        this.#callbackErrors++;
      },
    };
  }

  /** The downloader's cancel token (a child of `parent`, if given). */
  get token(): CancelToken {
    return this.#token;
  }

  /** Fetches in flight now (never above `maxConcurrent`). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** User callbacks (poll, priority, onComplete, onSlow, ...) that threw; they are contained. */
  get callbackErrors(): number {
    return this.#callbackErrors;
  }

  get closed(): boolean {
    return this.#closing;
  }

  snapshot(): DownloaderSnapshot {
    return { inFlight: this.#inFlight, queued: this.#slots.counts(), peers: this.#peers.size };
  }

  /** Register a peer (DL-2): it is polled once now, then after each `wake()`. */
  register(peer: Peer, options: RegisterOptions = {}): PeerHandle {
    if (this.#closing) throw new DownloaderClosedError();
    const bus = options.bus ?? this.bus.scoped();
    const id = this.abr.register(peer, bus);
    const token = this.#token.child();
    // Commands without an epoch share this token's signal while in flight (see #newEntry).
    setMaxListeners(10 + this.#cfg.maxConcurrent, token.signal);
    const ps: PeerState = {
      id,
      peer,
      bus,
      token,
      priority: this.#readPriority(peer) ?? "low",
      queued: new Set(),
      inFlight: 0,
      woken: true,
      more: false,
      done: false,
      disposed: false,
    };
    const host: PeerHost = {
      peerId: id,
      token: ps.token,
      wake: () => this.#wake(ps),
      submit: (b, cmds) => {
        const now = this.#clock.now();
        return cmds.map((cmd) => this.#submit(ps, b, cmd, now));
      },
      dispose: () => this.#disposePeer(ps),
    };
    // Queued commands sharing the peer token (no per-command listener) are cancelled here.
    token.onCancel(() => {
      for (const e of ps.queued) if (e.token === token) this.#toCancel.push(e);
      this.#schedule();
    });
    this.#peers.set(id, ps);
    bus.publish({ domain: "downloader", type: "PeerRegistered", peerId: id });
    this.#pollDue = true;
    this.#schedule();
    return new PeerHandle(host, bus);
  }

  /**
   * DL-17: cancel everything, deliver every pending completion, wait for in-flight fetches to
   * settle, stop the scheduler's timers. Idempotent; `register` afterwards throws.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    this.#closing = true;
    // Let the caller's synchronous code finish before completions run (re-entrancy).
    await Promise.resolve();
    this.#throttleTimer?.cancel();
    this.#preemptTimer?.cancel();
    this.#token.cancel("DownloaderShutdown");
    for (const ps of [...this.#peers.values()]) this.#disposePeer(ps);
    this.#sweep();
    while (this.#runs > 0) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
    }
    this.#drained = undefined;
    this.#sweep();
    this.#watchdog.stop();
    if (this.#ownsHttp) await this.#http.close();
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch {
      this.#callbackErrors++;
    }
  }

  #readPriority(peer: Peer): Priority | undefined {
    try {
      return peer.priority() === "high" ? "high" : "low";
    } catch {
      this.#callbackErrors++;
      return undefined;
    }
  }

  #schedule(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(this.#pump);
  }

  /**
   * A peer whose last batch has left the queue is polled again on the next event-loop turn,
   * not in a microtask: a peer that keeps answering with commands that die at once (e.g. a
   * cancelled epoch) cannot starve I/O and timers. Woken peers are polled in the next round.
   */
  #scheduleRepoll(): void {
    if (this.#repollQueued) return;
    this.#repollQueued = true;
    setImmediate(() => {
      this.#repollQueued = false;
      this.#repollDue = true;
      this.#schedule();
    });
  }

  /** One scheduling round. Never nested: re-entrant calls only schedule the next round. */
  readonly #pump = (): void => {
    this.#pumpQueued = false;
    const repoll = this.#repollDue;
    this.#repollDue = false;
    this.#sweep();
    if (!this.#closing) {
      this.#refreshPriorities();
      if (this.#pollDue || repoll) {
        this.#pollDue = false;
        this.#pollPeers(repoll);
      }
      this.#sweep();
      this.#dispatch();
      this.#checkPreempt();
      if (this.#wantsRepoll()) this.#scheduleRepoll();
    }
    this.#watchdog.update(!this.#closing && (this.#inFlight > 0 || this.#slots.size > 0));
    // Only once the round dispatched nothing new: a fetch ending just before the next
    // dispatch keeps the timer (the pump always runs after a fetch ends).
    if (this.#running.size === 0) this.#soft.idle();
  };

  #wake(ps: PeerState): void {
    if (ps.disposed || ps.done) return;
    ps.woken = true;
    this.#pollDue = true;
    this.#schedule();
  }

  #repollable(ps: PeerState): boolean {
    return ps.more && ps.queued.size === 0;
  }

  #wantsRepoll(): boolean {
    for (const ps of this.#peers.values()) if (this.#repollable(ps) && !ps.done) return true;
    return false;
  }

  /** DL-2: poll every peer that woke us, and on a repoll round those whose last batch left the queue. */
  #pollPeers(repoll: boolean): void {
    for (const ps of [...this.#peers.values()]) {
      if (this.#closing) return;
      if (ps.disposed || ps.done || !(ps.woken || (repoll && this.#repollable(ps)))) continue;
      ps.woken = false;
      ps.more = false;
      let result: ReturnType<Peer["poll"]>;
      try {
        result = ps.peer.poll();
      } catch {
        this.#callbackErrors++;
        result = "pending";
      }
      if (result === "done") {
        ps.done = true;
      } else if (result !== "pending" && result.length > 0) {
        ps.more = true; // each accepted command counts as progress (DL-15)
        const now = this.#clock.now(); // one clock read per batch
        for (const cmd of result) this.#acceptStream(ps, cmd, now);
      }
    }
  }

  /** DL-6: re-read every peer's priority each round; move its queued commands when it changed. */
  #refreshPriorities(): void {
    // Iterated live (no copy per round): a peer disposed by a `priority()` callback is
    // skipped, one registered by it was read at `register` and is visited unchanged.
    for (const ps of this.#peers.values()) {
      if (ps.disposed) continue;
      const to = this.#readPriority(ps.peer);
      if (to === undefined || to === ps.priority) continue;
      const from = ps.priority;
      ps.priority = to;
      let moved = 0;
      for (const e of ps.queued) {
        this.#slots.remove(e);
        this.#slots.push(e, slotOf(to, e.cmdPriority));
        if (isUrgentSlot(e.slot)) this.#cutThrottle();
        moved++;
      }
      ps.bus.publish({
        domain: "downloader",
        type: "PriorityChanged",
        peerId: ps.id,
        from,
        to,
        moved,
      });
    }
  }

  #acceptStream(ps: PeerState, cmd: FetchCmd, now: number): void {
    this.#enqueue(this.#newEntry(ps, ps.bus, cmd, cmd.priority ?? "low", undefined, now));
  }

  #submit(ps: PeerState, bus: EventBus, cmd: ExecCmd, now: number): Promise<BatchResult> {
    return new Promise((settle) => {
      this.#enqueue(this.#newEntry(ps, bus, cmd, "high", settle, now));
    });
  }

  /** A new queued entry: an exec entry when `settle` is given, else a stream entry. */
  #newEntry(
    ps: PeerState,
    bus: EventBus,
    cmd: FetchCmd | ExecCmd,
    cmdPriority: Priority,
    settle: ExecEntry["settle"] | undefined,
    enqueuedAt: number,
  ): Entry {
    // One literal, one shape for both kinds (a stream entry carries `settle: undefined`);
    // the cast is sound because `settle` is given exactly for an ExecCmd.
    return {
      kind: settle ? "exec" : "stream",
      cmd,
      settle,
      id: ++this.#nextRequestId,
      peer: ps,
      bus,
      method: cmd.method ?? "GET",
      cmdPriority,
      token: this.#commandToken(ps, cmd),
      enqueuedAt,
      state: "queued" as const,
      slot: 0,
      node: undefined,
      preempted: false,
      unlisten: noop,
      run: undefined,
    } as Entry;
  }

  /**
   * DL-14: any-of(peer, epoch) with an epoch; a child of the peer token when pre-emption may
   * cancel the command alone; else the peer token itself, which fires exactly when such a
   * child would (no token, controller and signal per command).
   */
  #commandToken(ps: PeerState, cmd: FetchCmd | ExecCmd): CancelToken {
    if (cmd.epoch) return CancelToken.any([ps.token, cmd.epoch]);
    return this.#cfg.preemptAfterMs === undefined ? ps.token : ps.token.child();
  }

  /** Accept a command (DL-12): queue it, watch its own token (if any), announce it. */
  #enqueue(e: Entry): void {
    this.#slots.push(e, slotOf(e.peer.priority, e.cmdPriority));
    e.peer.queued.add(e);
    this.#watchdog.progress(e.enqueuedAt);
    if (isUrgentSlot(e.slot)) this.#cutThrottle();
    if (e.token !== e.peer.token) {
      e.unlisten = e.token.onCancel(() => {
        this.#toCancel.push(e);
        this.#schedule();
      });
    } else if (e.token.isCancelled) {
      this.#toCancel.push(e);
    }
    if (observed(e))
      publish(e, {
        type: "RequestEnqueued",
        url: e.cmd.url,
        method: e.method,
        priority: e.cmdPriority,
      });
    this.#schedule();
  }

  /** Complete every queued entry whose token fired (DL-7, DL-14). */
  #sweep(): void {
    while (this.#toCancel.length > 0) {
      const batch = this.#toCancel;
      this.#toCancel = [];
      for (const e of batch) this.#cancelQueued(e);
    }
  }

  #unqueue(e: Entry): void {
    this.#slots.remove(e);
    e.peer.queued.delete(e);
    e.unlisten();
  }

  #cancelQueued(e: Entry): void {
    if (e.state !== "queued") return;
    this.#unqueue(e);
    e.state = "done";
    const reason = cancelReason(e, this.#token);
    publish(e, { type: "RequestCancelled", reason, bytes: 0 });
    complete(this.#ctx, e, 0, undefined, undefined, cancelledError(e.cmd.url, reason));
    releaseToken(e);
  }

  /** DL-5: urgent first (slot 0, then 1), demand only when no urgent work is queued. */
  #dispatch(): void {
    let demandStarted = false;
    while (!this.#closing && this.#inFlight < this.#cfg.maxConcurrent) {
      const e = this.#next();
      if (!e) break;
      if (e.token.isCancelled) {
        this.#cancelQueued(e);
        continue;
      }
      if (!isUrgentSlot(e.slot)) demandStarted = true;
      this.#start(e);
    }
    if (demandStarted) this.#demandGateOpen = false;
  }

  #next(): Entry | undefined {
    const urgent = this.#slots.peek(0) ?? this.#slots.peek(1);
    if (urgent || this.#slots.demand === 0) return urgent;
    if (this.#cfg.demandThrottleMs > 0 && !this.#demandGateOpen) {
      this.#armThrottle();
      return undefined;
    }
    return this.#slots.peek(2) ?? this.#slots.peek(3);
  }

  #armThrottle(): void {
    if (this.#throttleTimer) return;
    this.#throttleTimer = this.#clock.setTimer(this.#cfg.demandThrottleMs, () => {
      this.#throttleTimer = undefined;
      this.#demandGateOpen = true;
      this.#schedule();
    });
  }

  /** Urgent work arrived: the demand wait ends; the next demand batch waits afresh (DL-5). */
  #cutThrottle(): void {
    this.#throttleTimer?.cancel();
    this.#throttleTimer = undefined;
  }

  #start(e: Entry): void {
    this.#unqueue(e);
    e.state = "running";
    this.#inFlight++;
    e.peer.inFlight++;
    this.#running.add(e);
    this.#runs++;
    runFetch(this.#ctx, e);
    this.#watchdog.progress(e.run?.startedAt);
    this.#soft.started();
  }

  /** The fetch stops counting against the cap (its body is fully written or it failed). */
  #finish(e: Entry, at: number): void {
    e.state = "done";
    this.#inFlight--;
    e.peer.inFlight--;
    this.#running.delete(e);
    if (e.preempted) this.#preemptPending--;
    this.#watchdog.progress(at);
    this.#schedule();
  }

  /**
   * DL-16: urgent work waiting `afterMs` behind a cap full of demand fetches pre-empts the
   * youngest, preferring fetches no body byte of which was written yet. A victim no body byte of which reached its writer ends at once (RequestCancelled
   * Preempted, its completion) and frees its slot, so the urgent work is dispatched in this
   * same round; its request is torn down (token cancelled: a socket destroy) on the next turn,
   * after the urgent request went out. A victim already writing is cancelled now and counts
   * against the cap until it settled.
   */
  #checkPreempt(): void {
    const afterMs = this.#cfg.preemptAfterMs;
    if (afterMs === undefined) return;
    this.#preemptTimer?.cancel();
    this.#preemptTimer = undefined;
    const waiting = this.#slots.urgent - this.#preemptPending;
    if (waiting <= 0 || this.#inFlight < this.#cfg.maxConcurrent) return;
    const victims = [...this.#running].filter((e) => !isUrgentSlot(e.slot) && !e.preempted);
    if (victims.length === 0) return;
    const oldest = Math.min(
      this.#slots.peek(0)?.enqueuedAt ?? Number.POSITIVE_INFINITY,
      this.#slots.peek(1)?.enqueuedAt ?? Number.POSITIVE_INFINITY,
    );
    const waited = this.#clock.now() - oldest;
    if (waited < afterMs) {
      this.#preemptTimer = this.#clock.setTimer(afterMs - waited, () => {
        this.#preemptTimer = undefined;
        this.#schedule();
      });
      return;
    }
    // Youngest first; those nothing of which was written yet (cheapest to drop, and their
    // slot frees at once) before those already writing (closest to done). Stable sort.
    victims.reverse().sort((a, b) => Number(a.run?.bodyStarted) - Number(b.run?.bodyStarted));
    const abandoned: Entry[] = [];
    for (const e of victims.slice(0, waiting)) {
      e.preempted = true;
      this.#preemptPending++;
      if (e.run?.abandon()) abandoned.push(e);
      else e.token.cancel("Preempted");
    }
    if (abandoned.length === 0) return;
    this.#dispatch();
    setImmediate(() => {
      for (const e of abandoned) e.token.cancel("Preempted");
    });
  }

  #disposePeer(ps: PeerState): void {
    if (ps.disposed) return;
    ps.disposed = true;
    const cancelled = ps.queued.size + ps.inFlight;
    this.#peers.delete(ps.id);
    ps.token.cancel("PeerCancel");
    this.#guard(() => this.abr.unregister(ps.id));
    ps.bus.publish({ domain: "downloader", type: "PeerDisposed", peerId: ps.id, cancelled });
    this.#schedule();
  }
}
