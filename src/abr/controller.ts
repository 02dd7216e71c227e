/**
 * The ABR controller (ABR-3): one per downloader. Peers register and get ids 1, 2, ...;
 * `recordBandwidth` feeds the shared estimator and ticks that peer; a tick reads the
 * peer's variants and progress, publishes throttled events on the peer's bus (ABR-8), runs
 * the decision flow (lock -> manual -> policy -> minimum interval, ABR-4/5) and records the
 * outcome as a pending target the peer claims and commits at a segment boundary (ABR-6).
 */
import { type Clock, systemClock } from "../core/clock.js";
import type { EventBus } from "../events/bus.js";
import type { AbrMode, VariantInfo } from "../events/domains/abr.js";
import { AbrError } from "./errors.js";
import { type EstimatorOptions, ThroughputEstimator } from "./estimator.js";
import { AbrPeerControl } from "./peer-control.js";
import { type PeerEntry, publish } from "./peer-entry.js";
import { type PolicyName, resolvePolicy } from "./policies/index.js";
import {
  type AbrPolicy,
  type AbrView,
  highestWithin,
  type PolicyDecision,
  RESCUE_REASONS,
  stay,
} from "./policy.js";
import { AbrState } from "./state.js";
import { BufferThrottle, EstimateThrottle, IntervalThrottle } from "./throttle.js";
import type { AbrPeerSurface, AbrRegistry, BandwidthSample } from "./types.js";

export interface AbrSettings extends EstimatorOptions {
  /** Injected clock (CORE-2); default the system clock. */
  clock?: Clock;
  /** A policy object or a shipped policy's name; default the benchmark winner (ABR-9). */
  policy?: AbrPolicy | PolicyName;
  /** Overrides the policy's minimum switch interval (ABR-5). */
  minSwitchIntervalMs?: number;
}

/** [+] Non-rescue switches are held this long after an EscapeStalled commit, whatever the policy. */
export const ESCAPE_HOLD_MS = 30_000;

/** ThroughputSample events: at most one per this many ms per peer (ABR-8). */
export const SAMPLE_EVENT_INTERVAL_MS = 200;

export class AbrController implements AbrRegistry {
  readonly clock: Clock;
  readonly policy: AbrPolicy;
  readonly estimator: ThroughputEstimator;
  readonly #minIntervalMs: number;
  readonly #peers = new Map<number, PeerEntry>();
  #nextId = 1;

  constructor(settings: AbrSettings = {}) {
    this.clock = settings.clock ?? systemClock;
    this.policy = resolvePolicy(settings.policy);
    this.estimator = new ThroughputEstimator(settings);
    this.#minIntervalMs = settings.minSwitchIntervalMs ?? this.policy.minSwitchIntervalMs;
  }

  register(peer: AbrPeerSurface, bus: EventBus): number {
    const id = this.#nextId++;
    const entry: PeerEntry = {
      id,
      surface: peer,
      bus,
      state: null,
      sampleThrottle: new IntervalThrottle(SAMPLE_EVENT_INTERVAL_MS),
      estimateThrottle: new EstimateThrottle(),
      bufferThrottle: new BufferThrottle(),
    };
    this.#peers.set(id, entry);
    this.#ensureState(entry, sortedVariants(peer));
    return id;
  }

  unregister(peerId: number): void {
    this.#peers.delete(peerId);
  }

  /** ABR-3: sample -> estimator -> tick(peer). Samples for unknown peers are ignored. */
  recordBandwidth(peerId: number, sample: BandwidthSample): void {
    const entry = this.#peers.get(peerId);
    if (!entry) return;
    const now = this.clock.now();
    this.estimator.add(sample);
    if (sample.durationMs > 0 && entry.sampleThrottle.admit(now)) {
      const bps = (sample.bytes * 8 * 1000) / Math.max(sample.durationMs, 0.5);
      publish(entry, {
        type: "ThroughputSample",
        bytes: sample.bytes,
        durationMs: sample.durationMs,
        bps,
        source: sample.source,
      });
    }
    const estimate = this.estimator.estimate();
    if (estimate !== null && entry.estimateThrottle.admit(now, estimate)) {
      publish(entry, { type: "BandwidthEstimate", bps: estimate });
    }
    this.#tick(peerId, now);
  }

  /** The control surface a media peer uses (claim/commit, lock, manual mode, seek, escape). */
  peer(peerId: number): AbrPeerControl {
    const entry = this.#peers.get(peerId);
    if (!entry) throw new AbrError("ABR_UNKNOWN_PEER", `no ABR peer with id ${peerId}`);
    return new AbrPeerControl(entry, this.clock, (id) => this.tick(id));
  }

  /** Evaluate one peer now and record the outcome (ABR-3/4/5/6). */
  tick(peerId: number): PolicyDecision {
    return this.#tick(peerId, this.clock.now());
  }

  /** `tick` at `now` (recordBandwidth has just read the clock: one read per fetch). */
  #tick(peerId: number, now: number): PolicyDecision {
    const entry = this.#peers.get(peerId);
    if (!entry) throw new AbrError("ABR_UNKNOWN_PEER", `no ABR peer with id ${peerId}`);
    const variants = sortedVariants(entry.surface);
    const state = this.#ensureState(entry, variants);
    const bufferS = bufferAhead(entry.surface);
    if (entry.bufferThrottle.admit(now, bufferS)) {
      publish(entry, { type: "BufferAhead", seconds: bufferS });
    }
    const decision = state
      ? this.#decide(entry, state, variants, bufferS, now)
      : stay("NoVariants");
    if (decision.kind === "switch" && state) {
      if (state.request(decision.to, decision.reason)) entry.surface.wake?.();
    } else if (decision.kind === "stay") {
      if (decision.reason === "AlreadyOptimal" && state?.retract()) entry.surface.wake?.();
      publish(entry, {
        type: "DecisionSkipped",
        reason: decision.reason,
        current: state?.current ?? 0,
      });
    }
    return decision;
  }

  #decide(
    entry: PeerEntry,
    state: AbrState,
    variants: readonly VariantInfo[],
    bufferS: number | null,
    now: number,
  ): PolicyDecision {
    if (state.locked) return stay("Locked");
    if (entry.surface.fixedVariant) return stay("ManualOverride");
    if (state.mode.kind === "manual") {
      const index = state.mode.index;
      return index === state.current
        ? stay("ManualOverride")
        : { kind: "switch", to: index, reason: "Manual" };
    }
    const current = variants.find((v) => v.index === state.current) ?? variants[0]!;
    const capped = variants.filter((v) => state.capBps === null || v.bandwidth <= state.capBps);
    const view: AbrView = {
      now,
      variants,
      candidates: state.escaping ? capped.filter((v) => v.index !== current.index) : capped,
      current,
      estimateBps: this.estimator.estimate(),
      ttfbMs: this.estimator.ttfbMs(),
      history: this.estimator.history(),
      bufferS,
      segmentDurationS: entry.surface.segmentDuration?.() ?? null,
      capBps: state.capBps,
      escaping: state.escaping,
    };
    const decision = this.policy.decide(view);
    if (decision.kind === "switch" && decision.to === state.current) return stay("AlreadyOptimal");
    if (decision.kind === "switch" && !RESCUE_REASONS.has(decision.reason)) {
      // [+] after a stall escape, no policy climbs back within the classic interval
      const interval =
        state.lastSwitchReason === "EscapeStalled"
          ? Math.max(this.#minIntervalMs, ESCAPE_HOLD_MS)
          : this.#minIntervalMs;
      if (now - state.lastSwitchAt < interval) return stay("MinInterval");
    }
    return decision;
  }

  #ensureState(entry: PeerEntry, variants: readonly VariantInfo[]): AbrState | null {
    if (entry.state || variants.length === 0) return entry.state;
    const estimate = this.estimator.estimate();
    const initial =
      entry.surface.initialVariant?.() ??
      (estimate === null ? variants[0]! : highestWithin(variants, estimate / 1.5)).index;
    entry.state = new AbrState(initial, this.clock.now());
    publish(entry, { type: "VariantsRegistered", variants: [...variants], initial });
    return entry.state;
  }
}

function sortedVariants(peer: AbrPeerSurface): VariantInfo[] {
  return [...(peer.variants?.() ?? [])].sort(
    (a, b) => a.bandwidth - b.bandwidth || a.index - b.index,
  );
}

function bufferAhead(peer: AbrPeerSurface): number | null {
  const p = peer.progress?.();
  if (!p || p.readerTime === null || p.downloadHeadTime === null) return null;
  return Math.max(0, p.downloadHeadTime - p.readerTime);
}

/** The default controller the Downloader creates (ABR-3, ABR-9). */
export function createAbrController(settings?: AbrSettings): AbrController {
  return new AbrController(settings);
}

export type { AbrMode };
