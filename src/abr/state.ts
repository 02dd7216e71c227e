/**
 * Per-peer ABR state (ABR-6/7): the current variant, mode, re-entrant lock, escape flag,
 * bandwidth cap, last switch time, and the pending target with its ticket.
 *
 * Intent vs publication: a decision only records a pending target; the consumer (the HLS
 * peer) claims it and commits it at a segment boundary. Nothing here publishes events or
 * decides; the controller does both.
 */
import type { AbrMode, SwitchReason } from "../events/domains/abr.js";

export interface Pending {
  target: number;
  reason: SwitchReason;
  ticket: number;
}

/** What `claim()` hands the consumer (ABR-6). */
export interface AbrClaim {
  ticket: number;
  from: number;
  to: number;
  reason: SwitchReason;
}

export type ClaimResult =
  | { kind: "Absent" }
  | { kind: "Locked"; claim: AbrClaim }
  | { kind: "Ready"; claim: AbrClaim };

/** Reasons a position jump makes stale (ABR-6 `invalidatePending`). */
const USER_REASONS: ReadonlySet<SwitchReason> = new Set(["Manual", "Initial"]);

export const isThroughputDriven = (reason: SwitchReason): boolean => !USER_REASONS.has(reason);

export class AbrState {
  current: number;
  mode: AbrMode = { kind: "auto" };
  lockDepth = 0;
  escaping = false;
  capBps: number | null = null;
  /** Clock ms of the last committed switch, or of the state's creation (ABR-5). */
  lastSwitchAt: number;
  /** Reason of the last committed switch (`null` before any). */
  lastSwitchReason: SwitchReason | null = null;
  #pending: Pending | null = null;
  #nextTicket = 1;

  constructor(initial: number, now: number) {
    this.current = initial;
    this.lastSwitchAt = now;
  }

  get pending(): Readonly<Pending> | null {
    return this.#pending;
  }

  get locked(): boolean {
    return this.lockDepth > 0;
  }

  /**
   * Record an intent (latest wins). Re-requesting the queued target keeps its ticket; a
   * request for the current variant clears the slot. Returns true when the slot changed.
   */
  request(target: number, reason: SwitchReason): boolean {
    if (target === this.current) {
      const had = this.#pending !== null;
      this.#pending = null;
      return had;
    }
    if (this.#pending?.target === target) {
      this.#pending.reason = reason;
      return false;
    }
    this.#pending = { target, reason, ticket: this.#nextTicket++ };
    return true;
  }

  claim(): ClaimResult {
    const p = this.#pending;
    if (!p || p.target === this.current) return { kind: "Absent" };
    const claim = { ticket: p.ticket, from: this.current, to: p.target, reason: p.reason };
    return this.locked ? { kind: "Locked", claim } : { kind: "Ready", claim };
  }

  /**
   * Commit a claim at a safe boundary: only unlocked, only if the ticket still matches and
   * the rebuilt decision (from, to) is identical. Clears the escape flag before storing the
   * new index (ABR-6).
   */
  commit(claim: AbrClaim, now: number): boolean {
    const p = this.#pending;
    if (this.locked || !p || p.ticket !== claim.ticket) return false;
    if (p.target !== claim.to || this.current !== claim.from) return false;
    this.#pending = null;
    this.escaping = false;
    this.current = claim.to;
    this.lastSwitchAt = now;
    this.lastSwitchReason = p.reason;
    return true;
  }

  /** Drop only the request with this ticket. */
  abort(ticket: number): boolean {
    if (this.#pending?.ticket !== ticket) return false;
    this.#pending = null;
    return true;
  }

  /** stay(AlreadyOptimal): retract a throughput-driven pending switch aimed elsewhere. */
  retract(): boolean {
    const p = this.#pending;
    if (!p || !isThroughputDriven(p.reason) || p.target === this.current) return false;
    this.#pending = null;
    return true;
  }

  /** Drop throughput-driven intents; manual/initial ones survive (ABR-6, HLS-9). */
  invalidatePending(): boolean {
    if (!this.#pending || !isThroughputDriven(this.#pending.reason)) return false;
    this.#pending = null;
    return true;
  }

  /** Manual mode: clear the pending target unless it restates `index` (ABR-7). */
  clearPendingUnless(index: number | null): void {
    if (this.#pending && this.#pending.target !== index) this.#pending = null;
  }

  /** ABR-7: the pending target if any, else the current variant. */
  selectedVariantForSeek(): number {
    return this.#pending?.target ?? this.current;
  }
}
