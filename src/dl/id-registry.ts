/**
 * The fallback `AbrRegistry`: it only hands out peer ids (1, 2, ...) and ignores bandwidth
 * samples. Used when no ABR controller is given to the Downloader, so the downloader stays
 * independent of any ABR policy.
 */
import type { AbrPeerSurface, AbrRegistry, BandwidthSample } from "../abr/types.js";
import type { EventBus } from "../events/bus.js";

export class IdOnlyAbrRegistry implements AbrRegistry {
  #next = 0;

  register(_peer: AbrPeerSurface, _bus: EventBus): number {
    return ++this.#next;
  }

  unregister(_peerId: number): void {}

  recordBandwidth(_peerId: number, _sample: BandwidthSample): void {}
}
