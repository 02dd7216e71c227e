/**
 * The control surface one media peer uses (ABR-6/7): claim/commit/abort at segment
 * boundaries, the re-entrant lock, manual mode, the bandwidth cap, seek invalidation and
 * the stall-escape flag. Every mutation that can change the decision re-evaluates at once.
 */
import type { Clock } from "../core/clock.js";
import type { AbrMode } from "../events/domains/abr.js";
import { AbrError } from "./errors.js";
import { type PeerEntry, publish } from "./peer-entry.js";
import type { AbrClaim, AbrState, ClaimResult, Pending } from "./state.js";

export class AbrPeerControl {
  readonly #entry: PeerEntry;
  readonly #clock: Clock;
  readonly #tick: (peerId: number) => unknown;

  constructor(entry: PeerEntry, clock: Clock, tick: (peerId: number) => unknown) {
    this.#entry = entry;
    this.#clock = clock;
    this.#tick = tick;
  }

  get peerId(): number {
    return this.#entry.id;
  }

  #state(): AbrState {
    const s = this.#entry.state;
    if (!s)
      throw new AbrError("ABR_UNKNOWN_VARIANT", `ABR peer ${this.#entry.id} has no variants yet`);
    return s;
  }

  /** The committed variant index. */
  current(): number {
    return this.#state().current;
  }

  mode(): AbrMode {
    return this.#state().mode;
  }

  pending(): Readonly<Pending> | null {
    return this.#entry.state?.pending ?? null;
  }

  lockDepth(): number {
    return this.#entry.state?.lockDepth ?? 0;
  }

  /** Re-evaluate now (ticks normally follow bandwidth samples). */
  tick(): void {
    this.#tick(this.#entry.id);
  }

  /** ABR-6: `Absent`, `Locked(claim)` (do not switch yet) or `Ready(claim)`. */
  claim(): ClaimResult {
    return this.#entry.state?.claim() ?? { kind: "Absent" };
  }

  /** ABR-6: apply a claim at a segment boundary; false when it went stale or is locked. */
  commit(claim: AbrClaim): boolean {
    const ok = this.#state().commit(claim, this.#clock.now());
    if (ok)
      publish(this.#entry, {
        type: "VariantApplied",
        from: claim.from,
        to: claim.to,
        reason: claim.reason,
      });
    return ok;
  }

  /** ABR-6: drop only the request with this ticket. */
  abort(ticket: number): boolean {
    return this.#entry.state?.abort(ticket) ?? false;
  }

  /** ABR-7: re-entrant; gates publication (commit) only. */
  lock(): void {
    const s = this.#state();
    s.lockDepth++;
    publish(this.#entry, { type: "Locked", depth: s.lockDepth });
  }

  /** ABR-7: unlocking to zero re-evaluates. */
  unlock(): void {
    const s = this.#state();
    if (s.lockDepth === 0) {
      throw new AbrError(
        "ABR_UNBALANCED_UNLOCK",
        `ABR peer ${this.#entry.id}: unlock without lock`,
      );
    }
    s.lockDepth--;
    publish(this.#entry, { type: "Unlocked", depth: s.lockDepth });
    if (s.lockDepth === 0) this.tick();
  }

  /**
   * ABR-7: manual(i) is validated against the live variant list and clears a pending target
   * unless it restates it; auto clears the pending target. Re-evaluates at once.
   */
  setMode(mode: AbrMode): void {
    const s = this.#state();
    if (mode.kind === "manual") {
      const live = this.#entry.surface.variants?.() ?? [];
      if (!Number.isInteger(mode.index) || !live.some((v) => v.index === mode.index)) {
        throw new AbrError(
          "ABR_UNKNOWN_VARIANT",
          `manual variant ${mode.index} is not one of [${live.map((v) => v.index).join(", ")}]`,
        );
      }
      s.clearPendingUnless(mode.index);
    } else {
      s.clearPendingUnless(null);
    }
    s.mode = mode.kind === "manual" ? { kind: "manual", index: mode.index } : { kind: "auto" };
    publish(this.#entry, { type: "ModeChanged", mode: s.mode });
    this.tick();
  }

  /** Fixed cap in bit/s (`null` = none). Re-evaluates at once. */
  setMaxBandwidthCap(capBps: number | null): void {
    if (capBps !== null && !(capBps > 0)) {
      throw new AbrError("ABR_UNKNOWN_VARIANT", `bandwidth cap must be positive, got ${capBps}`);
    }
    this.#state().capBps = capBps;
    publish(this.#entry, { type: "MaxBandwidthCapChanged", capBps });
    this.tick();
  }

  /** ABR-6, HLS-9: drop throughput-driven intents on a seek; manual/initial ones survive. */
  invalidatePending(): void {
    this.#entry.state?.invalidatePending();
  }

  /** HLS-10: the current variant stalls; switch away without buffer/hysteresis checks. */
  markEscaping(): void {
    this.#state().escaping = true;
    this.tick();
  }

  escaping(): boolean {
    return this.#entry.state?.escaping ?? false;
  }

  /** ABR-7: the pending target if any, else the current variant. */
  selectedVariantForSeek(): number {
    return this.#state().selectedVariantForSeek();
  }
}
