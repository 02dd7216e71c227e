import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelToken } from "../../src/core/cancel.js";
import { Downloader } from "../../src/dl/index.js";
import { type FaultServer, startFaultServer } from "../support/fault-server.js";
import { CapTracker, Recorder, ScriptPeer, testClient } from "./harness.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
});

describe("Downloader under load", () => {
  it("DL-1 DL-5 DL-7: 1 000 commands from 25 peers never exceed the cap at any instant; all complete once; none left in flight", async () => {
    const http = testClient();
    const cap = 5;
    const dl = new Downloader({ http, maxConcurrent: cap });
    const t = new CapTracker(dl, cap);
    const rec = new Recorder();
    const peers = Array.from({ length: 25 }, (_, i) =>
      new ScriptPeer(i % 3 === 0 ? "high" : "low").attach(dl),
    );
    const epochs = Array.from({ length: 25 }, () => CancelToken.root());
    const keys: string[] = [];
    // Peers push in uneven batches, some with epochs, while earlier work is in flight.
    for (let round = 0; round < 8; round++) {
      for (let p = 0; p < peers.length; p++) {
        const n = 5 + ((p * 7 + round * 3) % 6) - (round === 7 && p < 5 ? 5 : 0);
        const batch = [];
        for (let k = 0; k < n && keys.length < 1000; k++) {
          const key = `p${p}-r${round}-${k}`;
          keys.push(key);
          const priority = (k + p) % 4 === 0 ? "high" : "low";
          batch.push(
            rec.cmd(key, server.bytesUrl(p, 512 + k * 37, key), {
              priority,
              ...(k % 5 === 0 ? { epoch: epochs[p]! } : {}),
            }),
          );
        }
        peers[p]?.push(...batch);
      }
      await new Promise((r) => setImmediate(r));
      if (round === 3) epochs[4]?.cancel();
      const flipped = peers[7];
      if (round === 5 && flipped) flipped.prio = flipped.prio === "low" ? "high" : "low";
    }
    while (keys.length < 1000) {
      const key = `tail-${keys.length}`;
      keys.push(key);
      peers[0]?.push(rec.cmd(key, server.bytesUrl(0, 100, key)));
    }
    await Promise.all(keys.map((k) => rec.done(k)));
    expect(keys).toHaveLength(1000);
    for (const k of keys) expect(rec.count(k)).toBe(1);
    expect(t.violations).toEqual([]);
    expect(t.max).toBe(cap);
    expect(dl.inFlight).toBe(0);
    expect(dl.snapshot().queued).toEqual([0, 0, 0, 0]);
    const failed = keys.filter((k) => rec.completions.get(k)?.[0]?.error);
    expect(failed.every((k) => k.startsWith("p4-"))).toBe(true); // only epoch 4 was fired
    await dl.close();
    await http.close();
  });
});
