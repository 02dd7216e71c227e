/** A scripted media peer for ABR tests: variants, progress and wake counts under test control. */
import { AbrController, type AbrSettings } from "../../src/abr/index.js";
import type { AbrPeerSurface, VariantInfo } from "../../src/abr/types.js";
import { VirtualClock } from "../../src/core/clock.js";
import { EventBus } from "../../src/events/bus.js";
import type { AbrEvent } from "../../src/events/domains/abr.js";

export const LADDER: VariantInfo[] = [
  { index: 0, bandwidth: 500_000 },
  { index: 1, bandwidth: 1_000_000 },
  { index: 2, bandwidth: 2_000_000 },
  { index: 3, bandwidth: 4_000_000 },
];

export class ScriptedPeer implements AbrPeerSurface {
  list: VariantInfo[] = LADDER;
  buffer: number | null = 20;
  wakes = 0;
  initial = 1;
  variants() {
    return this.list;
  }
  progress() {
    return { readerTime: this.buffer === null ? null : 0, downloadHeadTime: this.buffer };
  }
  wake() {
    this.wakes++;
  }
  initialVariant() {
    return this.initial;
  }
}

export function setup(settings: AbrSettings = {}) {
  const clock = new VirtualClock(0);
  const bus = EventBus.root({ clock });
  const events: AbrEvent[] = [];
  bus.subscribe((env) => {
    if (env.event.domain === "abr") events.push(env.event);
  });
  const abr = new AbrController({ clock, policy: "classic", ...settings });
  const peer = new ScriptedPeer();
  const id = abr.register(peer, bus);
  const ctl = abr.peer(id);
  return { clock, bus, events, abr, peer, id, ctl };
}

/** A network sample that makes the ABR-1 estimate about `bps` (a long steady transfer). */
export function steady(bps: number, seconds = 30) {
  return {
    bytes: Math.round((bps * seconds) / 8),
    durationMs: seconds * 1000,
    source: "network" as const,
  };
}
