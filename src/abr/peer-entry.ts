/** The controller's per-peer record and the helper that publishes ABR events for it (ABR-8). */
import type { EventBus } from "../events/bus.js";
import type { AbrEvent } from "../events/domains/abr.js";
import type { AbrState } from "./state.js";
import type { BufferThrottle, EstimateThrottle, IntervalThrottle } from "./throttle.js";
import type { AbrPeerSurface } from "./types.js";

/** The controller's record of one registered peer. */
export interface PeerEntry {
  id: number;
  surface: AbrPeerSurface;
  bus: EventBus;
  /** Created when the peer first reports variants. */
  state: AbrState | null;
  sampleThrottle: IntervalThrottle;
  estimateThrottle: EstimateThrottle;
  bufferThrottle: BufferThrottle;
}

/**
 * Events for one peer on its bus. Skipped when nobody subscribes anywhere up the bus chain:
 * every fetch ticks its peer (DecisionSkipped, BufferAhead, ...), and an unobserved publish
 * is invisible (`seq` stays strictly increasing) but costs an envelope and a clock read.
 */
export function publish(
  entry: PeerEntry,
  event: DistributiveOmit<AbrEvent, "domain" | "peerId">,
): void {
  if (!observed(entry.bus)) return;
  entry.bus.publish(
    {
      domain: "abr",
      peerId: entry.id,
      ...event,
    } as AbrEvent /* the spread of a distributive Omit is not narrowed by TS */,
  );
}

function observed(bus: EventBus): boolean {
  for (let b: EventBus | undefined = bus; b; b = b.parent) if (b.subscriberCount > 0) return true;
  return false;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
