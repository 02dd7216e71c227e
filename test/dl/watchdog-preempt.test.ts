import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelToken } from "../../src/core/cancel.js";
import { VirtualClock } from "../../src/core/clock.js";
import { Downloader } from "../../src/dl/index.js";
import type { DownloaderEvent } from "../../src/events/domains/downloader.js";
import { type FaultServer, startFaultServer } from "../support/fault-server.js";
import { CapTracker, Recorder, ScriptPeer, testClient } from "./harness.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
});

function hangs(t: CapTracker): DownloaderEvent[] {
  return t.events.map((e) => e.event as DownloaderEvent).filter((e) => e.type === "HangDetected");
}

describe("Downloader hang watchdog", () => {
  it("DL-15: quiet while idle and during a legitimate slow first byte; fires on a real stall with a snapshot", async () => {
    const http = testClient();
    const clock = new VirtualClock();
    const dl = new Downloader({ http, clock, hangTimeoutMs: 1_000 });
    const t = new CapTracker(dl, 5);
    const rec = new Recorder();
    const peer = new ScriptPeer("high").attach(dl);
    await clock.advance(5_000); // Idle never trips it
    expect(hangs(t)).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
    // A slow first byte (real 200 ms) that spans most of the virtual deadline, twice over.
    server.setFaults("/bytes/21/10/slow", { stallBeforeHeadersMs: 200 });
    peer.push(rec.cmd("slow", server.bytesUrl(21, 10, "slow")));
    await dl.bus.waitFor((e) => e.type === "RequestStarted");
    await clock.advance(900);
    await rec.done("slow");
    await clock.advance(900);
    expect(hangs(t)).toEqual([]);
    // A real stall: headers never come.
    const epoch = CancelToken.root();
    server.setFaults("/bytes/21/10/stuck", { stallBeforeHeadersMs: Number.POSITIVE_INFINITY });
    peer.push(rec.cmd("stuck", server.bytesUrl(21, 10, "stuck"), { epoch }));
    await dl.bus.waitFor((e) => e.type === "RequestStarted");
    await clock.advance(999);
    expect(hangs(t)).toEqual([]);
    await clock.advance(1);
    const [hang] = hangs(t);
    expect(hang).toMatchObject({ stalledFor: 1_000, inFlight: 1, queued: [0, 0, 0, 0], peers: 1 });
    epoch.cancel();
    await rec.done("stuck");
    await dl.close();
    expect(clock.pendingTimers).toBe(0);
    await http.close();
  });
});

describe("Downloader pre-emption", () => {
  it("DL-16: urgent work waiting behind demand fetches pre-empts the youngest demand fetch (Preempted), never urgent work", async () => {
    const http = testClient();
    const clock = new VirtualClock();
    const dl = new Downloader({ http, clock, maxConcurrent: 2, preempt: { afterMs: 100 } });
    const t = new CapTracker(dl, 2);
    const rec = new Recorder();
    for (const tag of ["d1", "d2", "u-hold"])
      server.setFaults(`/bytes/22/10/${tag}`, { stallBeforeHeadersMs: Number.POSITIVE_INFINITY });
    const low = new ScriptPeer("low").attach(dl);
    const high = new ScriptPeer("high").attach(dl);
    low.push(rec.cmd("d1", server.bytesUrl(22, 10, "d1")));
    await dl.bus.waitFor((e) => e.type === "RequestStarted");
    low.push(rec.cmd("d2", server.bytesUrl(22, 10, "d2")));
    await dl.bus.waitFor((e) => e.type === "RequestStarted");
    high.push(rec.cmd("urgent", server.bytesUrl(22, 10, "urgent")));
    await clock.advance(99);
    expect(rec.count("d2")).toBe(0);
    await clock.advance(1);
    const d2 = await rec.done("d2");
    expect(d2.error?.kind).toBe("Cancelled");
    expect((await rec.done("urgent")).error).toBeUndefined();
    expect(rec.count("d1")).toBe(0); // only the youngest was pre-empted
    const cancelled = t.events.map((e) => e.event).filter((e) => e.type === "RequestCancelled");
    expect(cancelled).toMatchObject([{ reason: "Preempted", requestId: 2 }]);
    // The pre-empted peer may requeue; urgent work holding capacity is never pre-empted.
    const holdEpoch = CancelToken.root();
    high.push(rec.cmd("u-hold", server.bytesUrl(22, 10, "u-hold"), { epoch: holdEpoch }));
    low.push(rec.cmd("d2-again", server.bytesUrl(22, 10, "d2-again")));
    await dl.bus.waitFor((e) => e.type === "RequestStarted");
    high.push(rec.cmd("urgent2", server.bytesUrl(22, 10, "urgent2"), { priority: "high" }));
    await clock.advance(100);
    expect(t.violations).toEqual([]);
    // d1 (demand) is pre-empted for urgent2; u-hold (urgent) keeps running.
    expect((await rec.done("d1")).error?.kind).toBe("Cancelled");
    await rec.done("urgent2");
    await clock.advance(1_000);
    expect(rec.count("u-hold")).toBe(0);
    holdEpoch.cancel();
    await Promise.all(["u-hold", "d2-again"].map((k) => rec.done(k)));
    await dl.close();
    await http.close();
  });
});
