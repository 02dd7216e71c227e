/**
 * plectrum's policies in the simulator, driven through the real `src/abr` controller: a
 * simulated peer reports the ladder and the buffer, every chunk becomes a `recordBandwidth`
 * sample (duration = delay incl. the 80 ms RTT, TTFB = the RTT), the tick that follows
 * records a pending target, and the peer claims and commits it at the chunk boundary.
 */
import { AbrController, type AbrSettings } from "../../src/abr/index.js";
import type { Clock } from "../../src/core/clock.js";
import { EventBus } from "../../src/events/bus.js";
import type { Content } from "./content.js";
import { RTT_MS } from "./env.js";
import type { Algorithm } from "./player.js";

export function plectrumAlgorithm(name: string, settings: AbrSettings): Algorithm {
  return {
    name,
    create: (_trace, content: Content) => {
      let now = 0;
      let buffer = 0;
      const clock: Clock = {
        now: () => now,
        setTimer() {
          throw new Error("the ABR controller must not start timers");
        },
      };
      const abr = new AbrController({ ...settings, clock });
      const variants = content.bitratesKbps.map((k, index) => ({ index, bandwidth: k * 1000 }));
      const id = abr.register(
        {
          variants: () => variants,
          progress: () => ({ readerTime: 0, downloadHeadTime: buffer }),
          segmentDuration: () => content.chunkS,
          initialVariant: () => content.firstLevel,
        },
        EventBus.root({ clock }),
      );
      const ctl = abr.peer(id);
      return {
        next(r) {
          now = r.nowMs;
          buffer = r.bufferS;
          abr.recordBandwidth(id, {
            bytes: r.bytes,
            durationMs: r.delayMs,
            ttfbMs: RTT_MS,
            source: "network",
          });
          const c = ctl.claim();
          if (c.kind === "Ready") ctl.commit(c.claim);
          return ctl.current();
        },
      };
    },
  };
}
