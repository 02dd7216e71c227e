/**
 * The HLS byte view (RES-1, RES-3): random access over init + segments of the playback
 * path, in order, while they are still arriving. A variant change inserts the new variant's
 * init section at the segment boundary and is announced as a typed `VariantNotice` with its
 * byte offset, so a reader never sees one variant's bytes spliced into another's.
 *
 * It implements the `ByteSource` seam of `resource/` structurally (resource sits above hls).
 * Offsets are known only up to the last loaded piece of the path, so reads are sequential
 * in practice; `seekTime()` restarts the view at a time (HLS-9).
 */
import { PlectrumError } from "../core/errors.js";
import type { InitSection } from "./model.js";
import { HlsPeer, type HlsPeerOptions, type PlanEntry } from "./peer.js";
import { initKey } from "./slots.js";

/** Typed notice of a variant change at a segment boundary (RES-3). */
export interface VariantNotice {
  /** Byte offset where the new variant's bytes (its init section, if any) begin. */
  offset: number;
  from: number;
  to: number;
  /** Media sequence of the first segment of the new variant. */
  sequence: number;
}

interface Piece {
  kind: "init" | "segment";
  start: number;
  length: number;
  entry: PlanEntry;
  /** The entry's init section (for a segment: the one its bytes need). */
  init: InitSection | null;
  /** Index of the entry in the peer's path. */
  pathIndex: number;
}

type Waiter = () => void;

/** RES-1: a URL whose path ends in `.m3u8` (query and fragment ignored). */
export function isHlsUrl(url: string): boolean {
  try {
    return new URL(url).pathname.toLowerCase().endsWith(".m3u8");
  } catch {
    return false;
  }
}

export class HlsByteSource {
  readonly url: string;
  readonly peer: HlsPeer;
  readonly notices: VariantNotice[] = [];
  #pieces: Piece[] = [];
  /** Index in the peer's path of the next entry to append. */
  #nextPath = 0;
  #end = 0;
  #position = 0;
  #waiters = new Set<Waiter>();
  #unsubscribe: () => void;
  #closed = false;
  #noticeListeners = new Set<(n: VariantNotice) => void>();

  constructor(peer: HlsPeer) {
    this.peer = peer;
    this.url = peer.url;
    this.#unsubscribe = peer.bus.subscribe((env) => {
      const e = env.event;
      if (e.domain === "hls") this.#wakeWaiters();
    });
  }

  get position(): number {
    return this.#position;
  }

  /** Total bytes once the whole path is loaded, else `null`. */
  get length(): number | null {
    this.#refresh();
    return this.peer.phase === "complete" && this.#nextPath >= this.peer.path().length
      ? this.#end
      : null;
  }

  /** Listen for variant notices (also kept in `notices`). Returns the unsubscribe. */
  onNotice(fn: (n: VariantNotice) => void): () => void {
    this.#noticeListeners.add(fn);
    return () => this.#noticeListeners.delete(fn);
  }

  /** Append loaded pieces of the path, in order, while the next one is loaded. */
  #refresh(): void {
    const path = this.peer.path();
    while (this.#nextPath < path.length) {
      const e = path[this.#nextPath]!;
      const seg = this.peer.segmentOf(e);
      if (!seg || !this.peer.isLoaded(e)) return;
      const prev = this.#pieces.at(-1);
      const prevKey = prev && `${prev.entry.variant} ${prev.init ? initKey(prev.init) : ""}`;
      const needInit = seg.init && (!prev || prevKey !== `${e.variant} ${initKey(seg.init)}`);
      if (needInit && seg.init && !this.peer.isInitLoaded(e.variant, seg.init)) return;
      if (prev && prev.entry.variant !== e.variant) {
        const n = {
          offset: this.#end,
          from: prev.entry.variant,
          to: e.variant,
          sequence: e.sequence,
        };
        this.notices.push(n);
        for (const fn of this.#noticeListeners) fn(n);
      }
      const init = seg.init ?? null;
      if (needInit && init) this.#add("init", e, init, this.peer.initLength(e.variant, init));
      this.#add("segment", e, init, this.peer.segmentLength(e));
      this.#nextPath++;
    }
  }

  #add(kind: Piece["kind"], entry: PlanEntry, init: InitSection | null, length: number): void {
    this.#pieces.push({ kind, start: this.#end, length, entry, init, pathIndex: this.#nextPath });
    this.#end += length;
  }

  #wakeWaiters(): void {
    const ws = [...this.#waiters];
    this.#waiters.clear();
    for (const w of ws) w();
  }

  #failure(): PlectrumError | null {
    if (this.#closed) return new PlectrumError("RES_CLOSED", `${this.url}: source closed`);
    return this.peer.phase === "failed" || this.peer.phase === "disposed"
      ? (this.peer.error ?? new PlectrumError("HLS_DISPOSED", "HLS peer disposed"))
      : null;
  }

  async waitRange(
    start: number,
    end: number,
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<"ready" | "eof"> {
    for (;;) {
      this.#refresh();
      const total = this.length;
      if (total !== null && start >= total) return "eof";
      if (this.#end >= Math.min(end, total ?? end)) return "ready";
      const err = this.#failure();
      if (err) throw err;
      options.signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.#waiters.delete(done);
          reject(options.signal?.reason);
        };
        const done = () => {
          options.signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        this.#waiters.add(done);
        options.signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
  }

  async readAt(
    offset: number,
    buffer: Uint8Array,
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<number> {
    if (buffer.byteLength === 0) return 0;
    const outcome = await this.waitRange(offset, offset + buffer.byteLength, options);
    if (outcome === "eof") return 0;
    let copied = 0;
    let i = this.#pieceAt(offset);
    while (copied < buffer.byteLength && i < this.#pieces.length) {
      const p = this.#pieces[i]!;
      const bytes = await this.#bytesOf(p);
      const from = offset + copied - p.start;
      const n = Math.min(bytes.byteLength - from, buffer.byteLength - copied);
      buffer.set(bytes.subarray(from, from + n), copied);
      copied += n;
      i++;
    }
    this.#position = offset + copied;
    this.#advancePeer();
    return copied;
  }

  #bytesOf(p: Piece): Promise<Uint8Array> {
    return p.kind === "init" && p.init
      ? this.peer.bytesOf({ variant: p.entry.variant, init: p.init })
      : this.peer.bytesOf(p.entry);
  }

  /** Index of the piece containing `offset` (binary search). */
  #pieceAt(offset: number): number {
    let lo = 0;
    let hi = this.#pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#pieces[mid]!.start <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Segments fully behind the read position are done: let the peer's window slide (HLS-11). */
  #advancePeer(): void {
    const plan = this.peer.plan();
    const passed = this.peer.path().length - plan.length;
    const head = this.#pieces.findLast((p) => p.start + p.length <= this.#position);
    if (!head) return;
    for (let k = passed; k <= head.pathIndex; k++) {
      if (!this.peer.advanceReader()) break;
    }
  }

  /** Byte seek within what is known; fetching elsewhere is by time (`seekTime`). */
  seek(offset: number): void {
    this.#position = Math.max(0, offset);
  }

  /** HLS-9: restart the view at `seconds`; offsets begin again at 0. */
  seekTime(seconds: number): void {
    this.peer.seek(seconds);
    this.#pieces = [];
    this.#end = 0;
    this.#position = 0;
    this.#nextPath = this.peer.path().length - this.peer.plan().length;
    this.#wakeWaiters();
  }

  setPlaying(playing: boolean): void {
    this.peer.setPriority(playing ? "high" : "low");
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#wakeWaiters();
    this.peer.dispose();
  }
}

/** RES-1: start an HLS peer for `url` and return its byte view. */
export async function openHls(url: string, options: HlsPeerOptions): Promise<HlsByteSource> {
  const peer = new HlsPeer(url, options);
  const source = new HlsByteSource(peer);
  try {
    await peer.start();
  } catch (err) {
    await source.close();
    throw err;
  }
  return source;
}
