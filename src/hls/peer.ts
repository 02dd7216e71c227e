/**
 * The HLS peer (HLS-5..12): start-up through `execute`, the fetch plan polled by the
 * Downloader, slot triage, ABR switches at segment boundaries, seek epochs, stall escape,
 * buffer-ahead reporting and live reloads. See CONTEXT.md for the model.
 */
import { CancelToken } from "../core/cancel.js";
import { type Clock, systemClock, type Timer } from "../core/clock.js";
import { errorInfo, NetError, PlectrumError } from "../core/errors.js";
import { giveBack } from "../core/lending.js";
import type { FetchCmd, Peer, PollResult, Priority } from "../dl/types.js";
import type { EventBus } from "../events/bus.js";
import type { VariantInfo } from "../events/domains/abr.js";
import type { HlsEvent } from "../events/domains/hls.js";
import { type Aes128Cbc, looksLikeClearInit, nodeAes128, sequenceIv } from "./aes.js";
import type {
  HlsAbr,
  HlsAbrControl,
  HlsAsset,
  HlsDownloader,
  HlsPeerHandle,
  HlsStore,
} from "./deps.js";
import { DecryptError, PlaylistError, SegmentError } from "./errors.js";
import type { KeyCache } from "./keys.js";
import { mergeReload } from "./live.js";
import { type LoaderContext, loadPlaylist } from "./loader.js";
import type { InitSection, MasterPlaylist, MediaPlaylist, MediaSegment } from "./model.js";
import type { PlaylistLimits } from "./parse.js";
import { initKey, resolveSlots, type Slot } from "./slots.js";
import { type LoadedMedia, openStream, type StreamHead } from "./startup.js";
import { createVariantState, initOfSlot, segmentAt, type VariantState } from "./variant-state.js";

export interface HlsPeerOptions {
  downloader: HlsDownloader;
  /** Cache for playlists, keys and (decrypted) segments; `null`/absent = memory only. */
  store?: HlsStore | null;
  /** The ABR controller the downloader was built with; absent = fixed variant. */
  abr?: HlsAbr;
  bus?: EventBus;
  clock?: Clock;
  /** Fixed (manual) variant index. */
  variant?: number;
  /** Bandwidth cap in bit/s. */
  maxBitrate?: number;
  /** Peer priority (DL-2); default high (the track being played). */
  priority?: Priority;
  /** HLS-6: commands per poll, 3. */
  budget?: number;
  /** HLS-6: idle prefetch window ahead of the reader in bytes, 2 MiB. `Infinity` = all. */
  lookAheadBytes?: number;
  aes?: Aes128Cbc;
  /** HLS-7: transient-after-retries rounds per segment before it fails (default 5). */
  maxTransientRounds?: number;
  /** HLS-7: back-off between such rounds, times the round number (default 500 ms). */
  transientBackoffMs?: number;
  /**
   * Download mode: the reader follows the download head (each loaded head segment is
   * consumed), so the look-ahead window still bounds how far a variant choice is fixed
   * ahead and ABR switches land mid-stream. Buffer ahead then reads as unknown.
   */
  autoAdvance?: boolean;
  /**
   * Keep each fetched segment's bytes after storing it until `bytesOf` asks for them once
   * (an export consuming segments as they arrive reads them from memory, not back from the
   * store). Only with a consumer that takes every loaded segment, or memory grows.
   */
  handOver?: boolean;
  /** HLS-12: start this many target durations from the live edge (3). */
  liveEdgeTargets?: number;
  limits?: PlaylistLimits;
}

/** One step of the playback plan: a segment of a variant. */
export interface PlanEntry {
  variant: number;
  sequence: number;
}

/** `StoreError("Busy")`: the resource is claimed by another writer. */
const STORE_BUSY = "STORE_BUSY";

/** Slots looked up in the store at a time (`#resolveFrom`). */
const RESOLVE_BATCH = 64;

type Phase = "starting" | "running" | "complete" | "failed" | "disposed";

export class HlsPeer {
  readonly url: string;
  readonly bus: EventBus;
  readonly #o: HlsPeerOptions;
  readonly #clock: Clock;
  readonly #aes: Aes128Cbc;
  #handle: HlsPeerHandle | null = null;
  #abr: HlsAbrControl | null = null;
  #asset: HlsAsset | null = null;
  #keys: KeyCache | null = null;
  #master: MasterPlaylist | null = null;
  /** Every variant of the stream (the master's), known before any variant state exists. */
  #infos: VariantInfo[] = [];
  /** Variant states by index; a fixed-variant peer fills the others after start-up. */
  #variants: (VariantState | undefined)[] = [];
  #cur = 0;
  /** The playback plan from the reader's segment on; `plan[0]` is the reader's segment. */
  #plan: PlanEntry[] = [];
  /** Entries the reader moved past, in order (export of a downloaded path). */
  #history: PlanEntry[] = [];
  #readerOffset = 0;
  #incomingFrom = -1;
  #epoch = 0;
  /** Parent of every fetch token; each fetch has its own child so a seek can spare it. */
  readonly #root = CancelToken.root();
  #phase: Phase = "starting";
  #error: PlectrumError | null = null;
  #timers = new Set<Timer>();
  #liveTimer: Timer | null = null;
  #settled: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  readonly #done: Promise<void>;
  #priority: Priority;
  /** Bytes fetched from the network for segments and init sections. */
  networkBytes = 0;

  constructor(url: string, options: HlsPeerOptions) {
    this.url = url;
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#aes = options.aes ?? nodeAes128;
    this.#priority = options.priority ?? "high";
    this.bus = options.bus ?? options.downloader.bus.scoped();
    this.#done = new Promise<void>((resolve, reject) => {
      this.#settled = { resolve, reject };
    });
    this.#done.catch(() => {});
  }

  // ---- start-up (HLS-5) ----------------------------------------------------------------

  /** Register with the downloader, load every playlist and key, and start fetching. */
  async start(): Promise<void> {
    const o = this.#o;
    const handle = o.downloader.register(this.#surface(), { bus: this.bus });
    this.#handle = handle;
    try {
      this.#asset = o.store ? await o.store.asset(this.url) : null;
      const head = await openStream(this.#loaderContext(handle), this.url, this.bus);
      this.#master = head.master;
      this.#keys = head.keys;
      this.#infos = head.infos;
      if (o.abr) {
        // ABR may pick or switch to any variant: every one is ready before the first fetch.
        const all = await Promise.all(head.infos.map((v) => head.media(v.index)));
        for (const m of all) this.#addVariant(m);
        this.#chooseInitial();
      } else {
        // A fixed choice: only its playlist is parsed before the first segment request.
        this.#chooseInitial();
        this.#addVariant(await head.media(this.#cur));
      }
      // A background cache write may have failed the peer meanwhile.
      if (this.#phase === "failed") throw this.#error;
      this.#startPlan(this.#liveStartTime());
      this.#phase = "running";
      this.#scheduleLiveReload();
      handle.wake();
      if (!o.abr) this.#background(this.#loadOtherVariants(head));
    } catch (err) {
      this.#fail(err instanceof PlectrumError ? err : asError(err));
      throw this.#error;
    }
  }

  #addVariant(m: LoadedMedia): void {
    const vs = createVariantState(m.url, m.info, m.playlist, this.#asset !== null);
    this.#variants[m.info.index] = vs;
  }

  /**
   * HLS-5 for the variants not played: parsed, checked and their keys loaded after the first
   * segment requests went out, one variant per macrotask so responses are handled between
   * them. Two hops first: the Downloader pumps in a microtask and re-polls in the `setImmediate`
   * it queues then, which must run before the first parse. A failure fails the peer as it did
   * at start-up.
   */
  async #loadOtherVariants(head: StreamHead): Promise<void> {
    const hop = () => new Promise<void>((resolve) => setImmediate(resolve));
    await hop();
    const stopped = () => this.#phase === "disposed" || this.#phase === "failed";
    for (const info of head.infos) {
      await hop();
      if (stopped()) return;
      if (this.#variants[info.index]) continue;
      const m = await head.media(info.index);
      if (!stopped()) this.#addVariant(m);
    }
  }

  #loaderContext(handle: HlsPeerHandle): LoaderContext {
    const ctx: LoaderContext = {
      exec: handle,
      asset: this.#asset,
      bus: this.bus,
      background: (write) => this.#background(write),
    };
    if (this.#o.limits) ctx.limits = this.#o.limits;
    return ctx;
  }

  #surface(): Peer {
    // The peer object the Downloader polls and ABR observes (DL-2, ABR-3).
    const surface: Peer = {
      poll: () => this.#poll(),
      priority: () => this.#priority,
      variants: () => this.#infos.slice(),
      progress: () => this.progress(),
      wake: () => this.#handle?.wake(),
      segmentDuration: () => this.#variants[this.#cur]?.playlist.targetDuration ?? null,
    };
    const fixed = this.#o.variant;
    if (fixed !== undefined) surface.initialVariant = () => fixed;
    // Without an ABR handle the peer keeps its own choice: ABR must not plan for it (robustMPC's
    // exhaustive plan per tick was the largest source of promoted garbage in a 2 h download).
    return this.#o.abr ? surface : { ...surface, fixedVariant: true };
  }

  #chooseInitial(): void {
    const o = this.#o;
    const n = this.#infos.length;
    if (
      o.variant !== undefined &&
      (!Number.isInteger(o.variant) || o.variant < 0 || o.variant >= n)
    ) {
      throw new PlectrumError("HLS_VARIANT", `variant ${o.variant} does not exist (0..${n - 1})`);
    }
    if (o.abr && this.#handle) {
      this.#abr = o.abr.peer(this.#handle.peerId);
      this.#abr.tick(); // creates the ABR state now that variants exist
      if (o.maxBitrate !== undefined) this.#abr.setMaxBandwidthCap(o.maxBitrate);
      if (o.variant !== undefined) this.#abr.setMode({ kind: "manual", index: o.variant });
      // A manual or capped start is claimed at the first boundary like any switch.
      this.#cur = this.#abr.current();
      this.#applyClaim();
      this.#switchedFrom = null; // the start is not a switch
      return;
    }
    if (o.variant !== undefined) {
      this.#cur = o.variant;
      return;
    }
    // No ABR: the best variant within the cap (a download wants quality).
    const fit = this.#infos
      .filter((v) => o.maxBitrate === undefined || v.bandwidth <= o.maxBitrate)
      .sort((a, b) => b.bandwidth - a.bandwidth);
    const lowest = [...this.#infos].sort((a, b) => a.bandwidth - b.bandwidth)[0];
    this.#cur = (fit[0] ?? lowest)?.index ?? 0;
  }

  // ---- plan (HLS-6, HLS-8, HLS-9) --------------------------------------------------------

  /** The segment of variant `v` that plays at time `t` (HLS-9). */
  #segmentAt(v: number, t: number): MediaSegment | undefined {
    const vs = this.#variants[v];
    return vs && segmentAt(vs, t);
  }

  #liveStartTime(): number {
    const p = this.#variants[this.#cur]?.playlist;
    if (!p || p.endList) return 0;
    return Math.max(0, p.totalDuration - (this.#o.liveEdgeTargets ?? 3) * p.targetDuration);
  }

  #startPlan(t: number): void {
    const s = this.#segmentAt(this.#cur, t);
    this.#plan = s ? [{ variant: this.#cur, sequence: s.sequence }] : [];
    this.#scan = { index: 0, ahead: 0 };
    this.#readerOffset = 0;
  }

  #segment(e: PlanEntry): MediaSegment | undefined {
    return this.#variants[e.variant]?.segments.get(e.sequence);
  }

  /**
   * Claim a pending ABR switch at a segment boundary (HLS-8). The `VariantChanged` notice
   * goes out when the first entry of the new variant joins the plan.
   */
  #applyClaim(): void {
    if (!this.#abr) return;
    const c = this.#abr.claim();
    if (c.kind !== "Ready") return;
    const { claim } = c;
    if (claim.to === this.#cur || !this.#variants[claim.to]) {
      this.#abr.abort(claim.ticket);
      return;
    }
    if (!this.#abr.commit(claim)) return;
    this.#switchedFrom ??= this.#cur;
    this.#cur = claim.to;
    // HLS-12: a live variant's playlist is stale since start-up: reload it now.
    if (this.#phase === "running" && !this.#variants[claim.to]?.playlist.endList) {
      this.#liveTimer?.cancel();
      this.#liveTimer = null;
      void this.#reload();
    }
  }

  /** Variant the plan switched away from, until the first entry of the new one is planned. */
  #switchedFrom: number | null = null;

  #push(e: PlanEntry): true {
    this.#plan.push(e);
    const from = this.#switchedFrom;
    if (from !== null) {
      this.#switchedFrom = null;
      this.#incomingFrom = this.#plan.length - 1;
      if (from !== e.variant) {
        this.#publish({ type: "VariantChanged", from, to: e.variant, atSegment: e.sequence });
      }
    }
    return true;
  }

  /** Append the next plan entry (a segment boundary); false at the end of what is known. */
  #extend(): boolean {
    const last = this.#plan.at(-1);
    if (!last) return false;
    this.#applyClaim();
    if (last.variant === this.#cur) {
      if (!this.#variants[this.#cur]?.segments.has(last.sequence + 1)) return false;
      return this.#push({ variant: this.#cur, sequence: last.sequence + 1 });
    }
    const target = this.#variants[this.#cur];
    if (target && !target.playlist.endList) {
      // Live ladders are aligned by media sequence; wait for the reload if it is not there yet.
      if (!target.segments.has(last.sequence + 1)) return false;
      return this.#push({ variant: this.#cur, sequence: last.sequence + 1 });
    }
    const seg = this.#segment(last);
    if (!seg) return false;
    const end = seg.start + seg.duration;
    const next = this.#segmentAt(this.#cur, end - 1e-3);
    if (!next) return false;
    // Land on the segment that starts at (or contains the end of) the last one.
    const landing =
      next.start + next.duration <= end + 1e-3
        ? this.#variants[this.#cur]?.segments.get(next.sequence + 1)
        : next;
    if (!landing) return false;
    return this.#push({ variant: this.#cur, sequence: landing.sequence });
  }

  #poll(): PollResult {
    if (this.#phase === "disposed" || this.#phase === "failed") return "done";
    if (this.#phase !== "running") return "pending";
    if (this.#o.autoAdvance) this.#consumeLoadedHead();
    const cmds: FetchCmd[] = [];
    const budget = this.#o.budget ?? 3;
    const window = this.#o.lookAheadBytes ?? 2 * 1024 * 1024;
    const now = this.#clock.now();
    // Resume after the prefix known to be loaded (keeps a whole-stream download linear).
    let { index: i, ahead } = this.#scan;
    let prefix = true;
    let reachedEnd = false;
    for (; cmds.length < budget; i++) {
      if (i >= this.#plan.length && !this.#extend()) {
        reachedEnd = true;
        break;
      }
      const e = this.#plan[i]!;
      const seg = this.#segment(e);
      const vs = this.#variants[e.variant];
      const slot = vs?.slots.get(e.sequence);
      if (!seg || !vs || !slot) break;
      const urgent = i === 0 || (this.#incomingFrom >= 0 && i >= this.#incomingFrom);
      const is = seg.init ? vs.inits.get(initKey(seg.init)) : undefined;
      if (!slot.resolved || (is && !is.resolved)) {
        // Not looked up in the store yet: do it for a batch from here on, poll again after.
        this.#resolveFrom(vs, e.sequence);
        break;
      }
      if (is && is.state !== "loaded") {
        prefix = false;
        if (is.state === "failed") break;
        if (is.state === "missing" && is.notBefore <= now) cmds.push(this.#command(is, "high"));
        if (cmds.length >= budget) break;
      }
      if (slot.state === "loaded") {
        this.#reportCached(slot);
        if (i > 0) ahead += slot.bytes;
        if (prefix) this.#scan = { index: i + 1, ahead };
        continue;
      }
      prefix = false;
      if (slot.state === "failed") break;
      if (slot.state === "downloading") {
        if (i > 0) ahead += slot.bytes;
        continue;
      }
      if (slot.notBefore > now) break;
      if (i > 0 && ahead >= window) break;
      if (i > 0) ahead += slot.bytes;
      cmds.push(this.#command(slot, urgent ? "high" : "low"));
    }
    if (cmds.length > 0) return cmds;
    if (prefix && reachedEnd && this.#atEnd()) this.#complete();
    return "pending";
  }

  /** Variants with a store lookup of slots in flight. */
  readonly #resolving = new Set<VariantState>();

  /**
   * Look up in the store the next `RESOLVE_BATCH` unresolved slots of `vs` from `sequence` on
   * (and their init sections); wake when done. One batch per variant at a time.
   */
  #resolveFrom(vs: VariantState, sequence: number): void {
    const asset = this.#asset;
    if (!asset || this.#resolving.has(vs)) return;
    const batch: Slot[] = [];
    for (let q = sequence; batch.length < RESOLVE_BATCH && q <= vs.lastSequence; q++) {
      const slot = vs.slots.get(q);
      const seg = vs.segments.get(q);
      if (!slot || !seg) continue;
      if (!slot.resolved) batch.push(slot);
      const init = seg.init && vs.inits.get(initKey(seg.init));
      if (init && !init.resolved && !batch.includes(init)) batch.push(init);
    }
    if (batch.length === 0) return;
    this.#resolving.add(vs);
    resolveSlots(batch, asset).then(
      () => {
        this.#resolving.delete(vs);
        this.#wake();
      },
      (err: unknown) => {
        this.#resolving.delete(vs);
        if (this.#phase === "running") this.#fail(asError(err));
      },
    );
  }

  /** Plan prefix known loaded, and the look-ahead bytes it holds (reset when the plan moves). */
  #scan = { index: 0, ahead: 0 };

  /** A slot found in the cache counts as loaded once, with an event. */
  #reportCached(slot: Slot): void {
    if (slot.reported) return;
    slot.reported = true;
    if (slot.kind === "segment") {
      this.#publish({
        type: "SegmentLoaded",
        variant: slot.variant,
        segment: slot.sequence,
        bytes: slot.bytes,
        cached: true,
      });
    }
  }

  /** The plan reached the last segment of a finished playlist. */
  #atEnd(): boolean {
    const last = this.#plan.at(-1);
    const vs = last && this.#variants[last.variant];
    if (!last || !vs?.playlist.endList) return false;
    return last.sequence >= vs.lastSequence;
  }

  #slotOf(e: PlanEntry): Slot | undefined {
    return this.#variants[e.variant]?.slots.get(e.sequence);
  }

  // ---- fetches and triage (HLS-4, HLS-7) --------------------------------------------------

  #command(slot: Slot, priority: Priority): FetchCmd {
    slot.state = "downloading";
    slot.slow = false;
    const token = this.#root.child();
    slot.token = token;
    const chunks: Uint8Array[] = [];
    if (slot.kind === "segment") {
      this.#publish({
        type: "SegmentStarted",
        variant: slot.variant,
        segment: slot.sequence,
        url: slot.url,
      });
    }
    const cmd: FetchCmd = {
      url: slot.url,
      epoch: token,
      priority,
      rejectHtml: true,
      writer: (chunk) => {
        chunks.push(chunk);
      },
      onSlow: () => this.#onSlow(slot),
      onComplete: (_bytes, _res, err) => {
        token.release();
        if (slot.token === token) slot.token = null;
        this.#settle(slot, chunks, err);
      },
    };
    if (slot.range)
      cmd.range = { start: slot.range.offset, end: slot.range.offset + slot.range.length };
    return cmd;
  }

  #onSlow(slot: Slot): void {
    slot.slow = true;
    if (slot.kind !== "segment") return;
    this.#publish({ type: "SegmentSlow", variant: slot.variant, segment: slot.sequence });
    // HLS-10: the reader waits at this segment: escape the variant.
    const head = this.#plan[0];
    if (head && head.variant === slot.variant && head.sequence === slot.sequence) {
      this.#abr?.markEscaping();
    }
  }

  #settle(slot: Slot, chunks: Uint8Array[], err: NetError | undefined): void {
    if (this.#phase === "disposed") return;
    if (err) {
      slot.state = "missing";
      if (err.kind === "Cancelled") {
        this.#wake();
        return;
      }
      // RetryExhausted = a transient failure that outlived the net layer's retries.
      const transient = err.retryable || err.kind === "RetryExhausted";
      const round = ++slot.transientRounds;
      if (transient && round <= (this.#o.maxTransientRounds ?? 5)) {
        this.#publish({
          type: "SegmentRetry",
          variant: slot.variant,
          segment: slot.sequence,
          error: errorInfo(err),
        });
        const delay = (this.#o.transientBackoffMs ?? 500) * round;
        slot.notBefore = this.#clock.now() + delay;
        // The timer, not a clock comparison, ends the back-off (timers may fire a tick early).
        this.#after(delay, () => {
          slot.notBefore = 0;
          this.#wake();
        });
        return;
      }
      this.#failSlot(slot, new SegmentError(slot.url, err.message, { cause: err }), err);
      return;
    }
    const body = gather(chunks);
    this.networkBytes += body.byteLength;
    void this.#commit(slot, body);
  }

  async #commit(slot: Slot, body: Uint8Array): Promise<void> {
    let plain: Uint8Array;
    try {
      plain = await this.#decrypt(slot, body);
    } catch (err) {
      if (this.#phase === "disposed") return;
      if (!(err instanceof DecryptError)) {
        this.#failSlot(slot, asError(err));
        return;
      }
      slot.decryptFailures++;
      this.bus.publish({
        domain: "drm",
        type: "DecryptFailed",
        variant: slot.variant,
        segment: slot.sequence,
        attempt: slot.decryptFailures,
      });
      if (slot.decryptFailures >= 2) this.#failSlot(slot, err);
      else {
        slot.state = "missing";
        this.#wake();
      }
      return;
    }
    // Another writer (a second download of the same stream) may hold the claim: then the
    // store refuses with `Busy` and this peer keeps its own copy in memory rather than wait
    // for theirs. (Asked by trying: `isClaimed()` reads the lock file synchronously, once per
    // segment on the event loop.)
    let stored = false;
    try {
      if (slot.resource) {
        await slot.resource.putWhole(plain);
        stored = true;
      }
    } catch (err) {
      if (!(err instanceof PlectrumError && err.code === STORE_BUSY)) {
        if (this.#phase !== "disposed") this.#failSlot(slot, asError(err));
        return;
      }
    }
    if (this.#phase === "disposed") return;
    slot.state = "loaded";
    slot.reported = true;
    slot.bytes = plain.byteLength;
    if (!stored) this.#memory.set(slot, plain);
    else if (this.#o.handOver) this.#handOver.set(slot, plain);
    if (slot.kind === "segment") {
      this.#publish({
        type: "SegmentLoaded",
        variant: slot.variant,
        segment: slot.sequence,
        bytes: plain.byteLength,
        cached: false,
      });
      if (this.#incomingFrom >= 0 && slot.variant === this.#cur) this.#incomingFrom = -1;
    }
    if (this.#o.autoAdvance) this.#consumeLoadedHead();
    this.#wake();
  }

  /** Decrypted bytes of slots kept without a store. */
  readonly #memory = new Map<Slot, Uint8Array>();
  /** `handOver`: bytes of stored slots until `bytesOf` takes them once. */
  readonly #handOver = new Map<Slot, Uint8Array>();

  async #decrypt(slot: Slot, body: Uint8Array): Promise<Uint8Array> {
    const vs = this.#variants[slot.variant];
    if (!vs) return body;
    let key: { uri: string; iv: Uint8Array } | null = null;
    if (slot.kind === "segment") {
      const seg = vs.segments.get(slot.sequence);
      if (seg?.key) key = { uri: seg.key.uri, iv: seg.key.iv ?? sequenceIv(seg.sequence) };
    } else {
      const init = initOfSlot(vs, slot);
      // Packagers often leave the init section clear although a key precedes it (CONTEXT.md).
      if (init?.key && !looksLikeClearInit(body)) key = { uri: init.key.uri, iv: init.key.iv! };
    }
    if (!key || !this.#keys) return body;
    const k = await this.#keys.get(key.uri);
    return this.#aes.decrypt(k, key.iv, body, slot.url);
  }

  /** `cause` (the network error, when there is one) is what the events describe. */
  #failSlot(slot: Slot, err: PlectrumError, cause: PlectrumError = err): void {
    slot.state = "failed";
    this.#publish({
      type: "SegmentFailed",
      variant: slot.variant,
      segment: slot.sequence,
      error: errorInfo(cause),
    });
    this.#fail(err, cause);
  }

  #fail(err: PlectrumError, cause: PlectrumError = err): void {
    if (this.#phase === "failed" || this.#phase === "disposed") return;
    this.#phase = "failed";
    this.#error = err;
    this.#publish({ type: "Error", error: errorInfo(cause) });
    this.#stopTimers();
    this.#settled?.reject(err);
    this.#handle?.wake();
  }

  #complete(): void {
    if (this.#phase !== "running") return;
    const last = this.#plan.at(-1);
    this.#phase = "complete";
    this.#publish({
      type: "EndOfStream",
      variant: last?.variant ?? this.#cur,
      segments: this.#history.length + this.#plan.length,
    });
    this.#stopTimers();
    this.#settled?.resolve();
  }

  // ---- reader, seek, progress (HLS-9, HLS-11) -------------------------------------------

  /** DL-2/DL-6: high while this track is played; the Downloader re-slots queued fetches. */
  setPriority(priority: Priority): void {
    if (priority === this.#priority) return;
    this.#priority = priority;
    this.#handle?.wake();
  }

  /** Resolves when every planned segment to the end of the stream is loaded; rejects on failure. */
  whenComplete(): Promise<void> {
    return this.#done;
  }

  get phase(): Phase {
    return this.#phase;
  }

  get error(): PlectrumError | null {
    return this.#error;
  }

  get currentVariant(): number {
    return this.#cur;
  }

  get variantCount(): number {
    return this.#infos.length;
  }

  /** The plan from the reader's segment on (a copy). */
  plan(): PlanEntry[] {
    return this.#plan.map((e) => ({ ...e }));
  }

  /** True when the init section of `variant` is loaded. */
  isInitLoaded(variant: number, init: InitSection): boolean {
    return this.#variants[variant]?.inits.get(initKey(init))?.state === "loaded";
  }

  /** Decrypted length of a loaded init section (its estimate before). */
  initLength(variant: number, init: InitSection): number {
    return this.#variants[variant]?.inits.get(initKey(init))?.bytes ?? 0;
  }

  /** Decrypted length of a loaded segment (its estimate before). */
  segmentLength(e: PlanEntry): number {
    return this.#slotOf(e)?.bytes ?? 0;
  }

  /** True when the entry's segment is loaded (cached or fetched). */
  isLoaded(e: PlanEntry): boolean {
    return this.#slotOf(e)?.state === "loaded";
  }

  /** The segment a plan entry names. */
  segmentOf(e: PlanEntry): MediaSegment | undefined {
    return this.#segment(e);
  }

  /** Media playlist of a variant. */
  playlist(variant: number): MediaPlaylist | undefined {
    return this.#variants[variant]?.playlist;
  }

  get master(): MasterPlaylist | null {
    return this.#master;
  }

  #consumeLoadedHead(): void {
    for (;;) {
      const head = this.#plan[0];
      const seg = head && this.#segment(head);
      if (!head || !seg || this.#slotOf(head)?.state !== "loaded") return;
      const init = seg.init && this.#variants[head.variant]?.inits.get(initKey(seg.init));
      if (init && init.state !== "loaded") return;
      this.#reportCached(this.#slotOf(head)!);
      if (!this.advanceReader()) return;
    }
  }

  /** Entries the reader passed, from index `from` on (download mode: the loaded prefix). */
  passedSince(from: number): PlanEntry[] {
    return this.#history.slice(from).map((e) => ({ ...e }));
  }

  /** Every entry the reader passed plus the remaining plan: the whole path, in order. */
  path(): PlanEntry[] {
    return [...this.#history, ...this.#plan].map((e) => ({ ...e }));
  }

  /**
   * The reader finished the segment at the head of the plan: move on (HLS-6, HLS-11).
   * False at the end of what is known.
   */
  advanceReader(): boolean {
    if (this.#plan.length <= 1 && !this.#extend()) return false;
    const passed = this.#plan.shift();
    if (passed) this.#history.push(passed);
    this.#scan = { index: 0, ahead: 0 };
    if (this.#incomingFrom > 0) this.#incomingFrom--;
    this.#readerOffset = 0;
    this.#wake();
    return true;
  }

  /**
   * Seek to `seconds` (HLS-9): a new epoch cancels the previous epoch's fetches that are no
   * longer needed, ABR drops throughput-driven intents, and the plan restarts at the target.
   */
  seek(seconds: number): void {
    if (this.#phase === "disposed" || this.#phase === "failed") return;
    this.#abr?.invalidatePending();
    if (this.#abr) this.#cur = this.#abr.current();
    const target = this.#segmentAt(this.#cur, Math.max(0, seconds));
    if (!target) return;
    this.#epoch++;
    const window = this.#o.lookAheadBytes ?? 2 * 1024 * 1024;
    // Keep fetches the new plan still needs (the target and what follows within the window).
    const keep = new Set<Slot>();
    let bytes = 0;
    const vs = this.#variants[this.#cur]!;
    for (let s = target.sequence; vs.slots.has(s) && bytes < window; s++) {
      const slot = vs.slots.get(s)!;
      keep.add(slot);
      bytes += slot.bytes;
    }
    for (const v of this.#variants) {
      if (!v) continue;
      for (const slot of [...v.slots.values(), ...v.inits.values()]) {
        if (slot.token && !keep.has(slot) && slot.kind === "segment") slot.token.cancel("seek");
      }
    }
    this.#plan = [{ variant: this.#cur, sequence: target.sequence }];
    this.#scan = { index: 0, ahead: 0 };
    this.#incomingFrom = -1;
    this.#readerOffset = Math.max(0, seconds - target.start);
    if (this.#phase === "complete") this.#phase = "running";
    this.#publish({
      type: "Seek",
      epoch: this.#epoch,
      segment: target.sequence,
      position: seconds,
    });
    this.#wake();
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** ABR-3 progress; buffer ahead counted from the reader's segment ([+] HLS-11). */
  progress(): { readerTime: number | null; downloadHeadTime: number | null } {
    const head = this.#plan[0];
    const seg = head && this.#segment(head);
    if (!seg || this.#o.autoAdvance) return { readerTime: null, downloadHeadTime: null };
    const readerTime = seg.start + this.#readerOffset;
    let headTime = seg.start;
    for (const e of this.#plan) {
      const s = this.#segment(e);
      if (!s || this.#slotOf(e)?.state !== "loaded") break;
      headTime = s.start + s.duration;
    }
    return { readerTime, downloadHeadTime: headTime };
  }

  // ---- live (HLS-12) -------------------------------------------------------------------

  #scheduleLiveReload(): void {
    const vs = this.#variants[this.#cur];
    if (!vs || vs.playlist.endList || this.#phase !== "running") return;
    const td = vs.playlist.targetDuration * 1000;
    const delay = vs.lastReloadChanged ? td : td / 2;
    this.#liveTimer?.cancel();
    this.#liveTimer = this.#after(delay, () => {
      this.#liveTimer = null;
      void this.#reload();
    });
  }

  async #reload(): Promise<void> {
    const vs = this.#variants[this.#cur];
    const handle = this.#handle;
    if (!vs || !handle || this.#phase !== "running") return;
    try {
      const p = await loadPlaylist(this.#loaderContext(handle), vs.url, true);
      if (p.kind !== "media") {
        throw new PlaylistError(vs.url, null, "live variant became a master playlist");
      }
      if (this.#phase !== "running") return;
      const changed = await mergeReload(vs, p, this.#asset, this.#keys);
      if (this.#phase !== "running") return;
      this.#publish({ type: "LiveReload", url: vs.url, changed, mediaSequence: p.mediaSequence });
      this.#reportMissed(vs, p.mediaSequence);
      this.#scheduleLiveReload();
      this.#wake();
    } catch (err) {
      if (this.#phase !== "running") return;
      if (err instanceof NetError && (err.retryable || err.kind === "RetryExhausted")) {
        vs.lastReloadChanged = false;
        this.#scheduleLiveReload();
        return;
      }
      this.#fail(err instanceof PlectrumError ? err : asError(err));
    }
  }

  /** Segments of the plan that left the window before they were fetched: report and skip. */
  #reportMissed(vs: VariantState, firstInWindow: number): void {
    let missed = 0;
    let from = -1;
    while (this.#plan.length > 0) {
      const e = this.#plan[0]!;
      const slot = this.#slotOf(e);
      if (e.variant !== vs.info.index || e.sequence >= firstInWindow || slot?.state !== "missing")
        break;
      if (from < 0) from = e.sequence;
      missed++;
      slot.state = "failed";
      this.#plan.shift();
      this.#scan = { index: 0, ahead: 0 };
    }
    if (missed === 0) return;
    if (this.#plan.length === 0)
      this.#plan.push({ variant: vs.info.index, sequence: firstInWindow });
    this.#publish({
      type: "SegmentsMissed",
      variant: vs.info.index,
      count: missed,
      fromSequence: from,
    });
  }

  // ---- plumbing ----------------------------------------------------------------------

  /**
   * Background work in flight (playlist cache writes, the playlists of variants not played);
   * a failure fails the peer like an awaited one did.
   */
  readonly #pending = new Set<Promise<void>>();

  #background(write: Promise<void>): void {
    const tracked = write.then(
      () => {
        this.#pending.delete(tracked);
      },
      (err: unknown) => {
        this.#pending.delete(tracked);
        // Also after completion: `settled()` then reports it.
        if (this.#phase !== "failed" && this.#phase !== "disposed") this.#fail(asError(err));
      },
    );
    this.#pending.add(tracked);
  }

  /** Resolves when all background work has settled; rejects if the peer failed. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
    if (this.#phase === "failed") throw this.#error;
  }

  /** Decrypted bytes of a loaded slot (from the store, or memory when there is none). */
  async bytesOf(e: PlanEntry | { variant: number; init: InitSection }): Promise<Uint8Array> {
    const vs = this.#variants[e.variant];
    const slot = "init" in e ? vs?.inits.get(initKey(e.init)) : vs?.slots.get(e.sequence);
    if (slot?.state !== "loaded") {
      throw new PlectrumError("HLS_NOT_LOADED", `segment ${JSON.stringify(e)} is not loaded`);
    }
    const handed = this.#handOver.get(slot);
    if (handed) {
      this.#handOver.delete(slot);
      return handed;
    }
    return this.#memory.get(slot) ?? (await slot.resource!.readWhole());
  }

  #publish(e: DistributiveOmit<HlsEvent, "domain">): void {
    this.bus.publish({ domain: "hls", ...e } as HlsEvent);
  }

  #wake(): void {
    if (this.#phase === "running") this.#handle?.wake();
  }

  #after(ms: number, fn: () => void): Timer {
    const t = this.#clock.setTimer(ms, () => {
      this.#timers.delete(t);
      fn();
    });
    this.#timers.add(t);
    return t;
  }

  #stopTimers(): void {
    for (const t of this.#timers) t.cancel();
    this.#timers.clear();
    this.#liveTimer = null;
  }

  /** Cancel everything, stop timers and unregister (CORE-4). Idempotent. */
  dispose(): void {
    if (this.#phase === "disposed") return;
    const wasRunning = this.#phase === "running" || this.#phase === "starting";
    this.#phase = "disposed";
    this.#stopTimers();
    this.#handOver.clear();
    this.#root.cancel("dispose");
    this.#handle?.dispose();
    if (wasRunning) this.#settled?.reject(new PlectrumError("HLS_DISPOSED", "HLS peer disposed"));
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/**
 * One segment's bytes in one buffer. A segment that arrived in one chunk is kept as it is (a
 * copy would only add garbage; the chunk may pin the socket slab it was lent in, and since it
 * is never given back, that slab is never reused). Several chunks are copied into a buffer of
 * their own and given back (core lending), so their slabs carry later reads (BENCH-5).
 */
function gather(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  for (const c of chunks) giveBack(c);
  return out;
}

function asError(err: unknown): PlectrumError {
  if (err instanceof PlectrumError) return err;
  return new PlectrumError("HLS_INTERNAL", err instanceof Error ? err.message : String(err), {
    cause: err,
  });
}
