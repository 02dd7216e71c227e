/** A command the downloader has accepted: its request id, tokens, slot and state. */
import type { CancelToken } from "../core/cancel.js";
import type { EventBus } from "../events/bus.js";
import type { CancelReason, Priority } from "../events/domains/downloader.js";
import type { Method } from "../net/types.js";
import type { SlotNode } from "./slots.js";
import type { BatchResult, ExecCmd, FetchCmd } from "./types.js";

/** What an entry needs to know about its peer. */
export interface PeerRef {
  readonly id: number;
  readonly token: CancelToken;
  /** The peer's priority as last read (DL-6). */
  priority: Priority;
  /** Its entries still queued, in acceptance order. */
  readonly queued: Set<Entry>;
  /** Its fetches in flight. */
  inFlight: number;
}

interface EntryBase {
  /** DL-12 request id. */
  readonly id: number;
  readonly peer: PeerRef;
  /** Where this fetch's lifecycle events go (DL-13). */
  readonly bus: EventBus;
  readonly method: Method;
  readonly cmdPriority: Priority;
  /** DL-14: any-of(peer, epoch), a child of the peer token, or the peer token itself. */
  readonly token: CancelToken;
  readonly enqueuedAt: number;
  state: "queued" | "running" | "done";
  /** Slot index 0..3 (DL-4); at dispatch it tells urgent (0-1) from demand (2-3). */
  slot: number;
  /** Its place in the slot's FIFO while queued (owned by `Slots`). */
  node: SlotNode | undefined;
  /** Set just before the downloader cancels the token to pre-empt it (DL-16). */
  preempted: boolean;
  /** Removes the queued-cancellation listener. */
  unlisten: () => void;
  /** The running fetch, from dispatch on (DL-16 ends it early when it can). */
  run: RunHandle | undefined;
}

/** What the downloader may ask of a running fetch. */
export interface RunHandle {
  /** When it was dispatched (clock ms). */
  readonly startedAt: number;
  /** A body byte reached the writer (or was collected): it can no longer be abandoned. */
  readonly bodyStarted: boolean;
  /** `slow()` ran (DL-10 reports once). */
  readonly slowReported: boolean;
  /** DL-10: the soft timeout passed: LoadSlow and `onSlow`, once, if still running. */
  slow(): void;
  /**
   * DL-16: the entry is being pre-empted (`preempted` is set). If no body byte has reached
   * the writer (or been collected) yet, the fetch ends now (slot released, RequestCancelled,
   * completion) and calls nothing of its peer's any more; true then, and the caller cancels
   * its token to tear the request down. False when the fetch must run its course.
   */
  abandon(): boolean;
}

export interface StreamEntry extends EntryBase {
  readonly kind: "stream";
  readonly cmd: FetchCmd;
}

export interface ExecEntry extends EntryBase {
  readonly kind: "exec";
  readonly cmd: ExecCmd;
  readonly settle: (result: BatchResult) => void;
}

export type Entry = StreamEntry | ExecEntry;

/** DL-4: 0 high/high, 1 high/low, 2 low/high, 3 low/low. */
export function slotOf(peerPriority: Priority, cmdPriority: Priority): number {
  return (peerPriority === "high" ? 0 : 2) + (cmdPriority === "high" ? 0 : 1);
}

export function isUrgentSlot(slot: number): boolean {
  return slot < 2;
}

/**
 * DL-14 ([+] corrected order): the downloader's token first, then the peer's, then the
 * command's epoch, then pre-emption, else BeforeStart.
 */
export function cancelReason(entry: Entry, downloaderToken: CancelToken): CancelReason {
  if (downloaderToken.isCancelled) return "DownloaderShutdown";
  if (entry.peer.token.isCancelled) return "PeerCancel";
  if (entry.cmd.epoch?.isCancelled) return "EpochCancel";
  if (entry.preempted) return "Preempted";
  return "BeforeStart";
}

/** The command's work is over: detach its own token from its parents (never the shared peer token). */
export function releaseToken(entry: Entry): void {
  if (entry.token !== entry.peer.token) entry.token.release();
}
