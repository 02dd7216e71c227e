import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AbrPeerSurface, AbrRegistry, BandwidthSample } from "../../src/abr/types.js";
import { CancelToken } from "../../src/core/cancel.js";
import { VirtualClock } from "../../src/core/clock.js";
import { Downloader } from "../../src/dl/index.js";
import type { EventBus } from "../../src/events/bus.js";
import type { DownloaderEvent } from "../../src/events/domains/downloader.js";
import { createHttpClient } from "../../src/net/index.js";
import { burst, type FaultServer, startFaultServer } from "../support/fault-server.js";
import { CapTracker, Recorder, ScriptPeer, testClient } from "./harness.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
});

/** An AbrRegistry that records what the downloader tells it (the seam's other side). */
class RecordingRegistry implements AbrRegistry {
  next = 100;
  registered: number[] = [];
  unregistered: number[] = [];
  samples: Array<{ peerId: number; sample: BandwidthSample }> = [];
  register(_peer: AbrPeerSurface, _bus: EventBus): number {
    this.registered.push(++this.next);
    return this.next;
  }
  unregister(peerId: number): void {
    this.unregistered.push(peerId);
  }
  recordBandwidth(peerId: number, sample: BandwidthSample): void {
    this.samples.push({ peerId, sample });
  }
}

describe("Downloader events", () => {
  it("DL-12 DL-13: request ids count from 1; one fetch's events arrive in lifecycle order with one id, retries and resumes included", async () => {
    const http = createHttpClient({
      maxRetries: 3,
      jitter: 0,
      backoffBaseMs: 1,
      inactivityTimeoutMs: 800,
    });
    const dl = new Downloader({ http });
    const t = new CapTracker(dl, 5);
    const rec = new Recorder();
    const peer = new ScriptPeer().attach(dl);
    const path = "/bytes/11/300000/life";
    server.setFaults(path, [
      { status: 503 },
      { stallAfter: 50_000, stallMs: Number.POSITIVE_INFINITY },
    ]);
    peer.push(
      rec.cmd("a", server.bytesUrl(11, 300_000, "life")),
      rec.cmd("b", server.bytesUrl(11, 10, "two")),
    );
    expect((await rec.done("a")).error).toBeUndefined();
    await rec.done("b");
    const enq = t.events
      .map((e) => e.event as DownloaderEvent)
      .filter((e) => e.type === "RequestEnqueued");
    expect(enq.map((e) => ("requestId" in e ? e.requestId : 0))).toEqual([1, 2]);
    expect(enq[0]).toMatchObject({
      url: server.url(path),
      method: "GET",
      priority: "low",
      peerId: peer.handle?.peerId,
    });
    const types = t.typesOf(1);
    expect(types).toEqual([
      "RequestEnqueued",
      "RequestStarted",
      "FirstByte", // the 503 attempt
      "RequestRetrying",
      "FirstByte",
      "BodyStalled",
      "FirstByte", // the resume request
      "BodyResumed",
      "RequestCompleted",
    ]);
    const firstBytes = t.events
      .map((e) => e.event as DownloaderEvent)
      .filter((e) => e.type === "FirstByte" && e.requestId === 1);
    expect(firstBytes.map((e) => (e.type === "FirstByte" ? e.status : 0))).toEqual([503, 200, 206]);
    const completed = t.events
      .map((e) => e.event as DownloaderEvent)
      .find((e) => e.type === "RequestCompleted" && e.requestId === 1);
    expect(completed).toMatchObject({ bytes: 300_000 });
    if (completed?.type === "RequestCompleted")
      expect(completed.bandwidthBps).toBeCloseTo(
        (300_000 * 8000) / Math.max(completed.duration, 1),
      );
    // A budget spent on transient errors: RetryExhausted then RequestFailed (not retryable).
    server.setFaults("/bytes/11/10/bad", burst(3, { status: 503 }));
    const http1 = createHttpClient({ maxRetries: 1, jitter: 0, backoffBaseMs: 1 });
    const dl2 = new Downloader({ http: http1 });
    const t2 = new CapTracker(dl2, 5);
    const p2 = new ScriptPeer().attach(dl2);
    p2.push(rec.cmd("bad", server.bytesUrl(11, 10, "bad")));
    expect((await rec.done("bad")).error?.kind).toBe("RetryExhausted");
    expect(t2.typesOf(1)).toEqual([
      "RequestEnqueued",
      "RequestStarted",
      "FirstByte",
      "RequestRetrying",
      "FirstByte",
      "RetryExhausted",
      "RequestFailed",
    ]);
    for (const d of [dl, dl2]) await d.close();
    await http.close();
    await http1.close();
  });

  it("DL-10: LoadSlow and onSlow fire once at the soft timeout and the fetch continues", async () => {
    const http = testClient();
    const clock = new VirtualClock();
    const dl = new Downloader({ http, clock, softTimeoutMs: 2_000 });
    const t = new CapTracker(dl, 5);
    const rec = new Recorder();
    const epoch = CancelToken.root();
    server.setFaults("/bytes/12/10/slow", { stallBeforeHeadersMs: Number.POSITIVE_INFINITY });
    let slowCalls = 0;
    const peer = new ScriptPeer().attach(dl);
    peer.push(
      rec.cmd("slow", server.bytesUrl(12, 10, "slow"), { epoch, onSlow: () => slowCalls++ }),
    );
    await dl.bus.waitFor((e) => e.type === "RequestStarted");
    await clock.advance(1_999);
    expect(slowCalls).toBe(0);
    await clock.advance(1);
    expect(slowCalls).toBe(1);
    await clock.advance(10_000);
    expect(slowCalls).toBe(1);
    expect(dl.inFlight).toBe(1);
    expect(rec.count("slow")).toBe(0);
    const slow = t.events.map((e) => e.event).find((e) => e.type === "LoadSlow");
    expect(slow).toMatchObject({ requestId: 1, elapsed: 2_000 });
    epoch.cancel();
    await rec.done("slow");
    expect(t.typesOf(1)).toEqual([
      "RequestEnqueued",
      "RequestStarted",
      "LoadSlow",
      "RequestCancelled",
    ]);
    await dl.close();
    expect(clock.pendingTimers).toBe(0);
    await http.close();
  });

  it("DL-10: fetches dispatched at different times each report at their own soft deadline; one that ended never does; no timer once idle", async () => {
    const http = testClient();
    const clock = new VirtualClock();
    const dl = new Downloader({ http, clock, softTimeoutMs: 1_000 });
    const t = new CapTracker(dl, 5);
    const rec = new Recorder();
    const epoch = CancelToken.root();
    for (const tag of ["a", "c"])
      server.setFaults(`/bytes/13/10/${tag}`, { stallBeforeHeadersMs: Number.POSITIVE_INFINITY });
    const slowed: string[] = [];
    const cmd = (tag: string) =>
      rec.cmd(tag, server.bytesUrl(13, 10, tag), { epoch, onSlow: () => slowed.push(tag) });
    const peer = new ScriptPeer().attach(dl);
    const started = () => dl.bus.waitFor((e) => e.type === "RequestStarted");
    peer.push(cmd("a"));
    await started();
    await clock.advance(300);
    peer.push(rec.cmd("b", server.bytesUrl(13, 10, "b"), { onSlow: () => slowed.push("b") }));
    await rec.done("b");
    await clock.advance(200);
    peer.push(cmd("c"));
    await started();
    await clock.advance(499); // t = 999
    expect(slowed).toEqual([]);
    await clock.advance(1); // t = 1000: a's deadline
    expect(slowed).toEqual(["a"]);
    await clock.advance(499); // t = 1499
    expect(slowed).toEqual(["a"]);
    await clock.advance(1); // t = 1500: c's deadline (b ended long before its own)
    expect(slowed).toEqual(["a", "c"]);
    await clock.advance(5_000);
    expect(slowed).toEqual(["a", "c"]);
    const slow = t.events.map((e) => e.event).filter((e) => e.type === "LoadSlow");
    expect(slow).toMatchObject([
      { requestId: 1, elapsed: 1_000 },
      { requestId: 3, elapsed: 1_000 },
    ]);
    epoch.cancel();
    await Promise.all([rec.done("a"), rec.done("c")]);
    expect(dl.inFlight).toBe(0);
    expect(clock.pendingTimers).toBe(0); // idle: neither the soft timer nor the watchdog
    await dl.close();
    await http.close();
  });

  it("DL-11 DL-2: successful GET bodies credit bandwidth with ttfb; HEAD, empty and failed fetches do not; peers register and unregister", async () => {
    const http = testClient();
    const abr = new RecordingRegistry();
    const dl = new Downloader({ http, abr });
    const rec = new Recorder();
    const peer = new ScriptPeer().attach(dl);
    expect(peer.handle?.peerId).toBe(101);
    expect(abr.registered).toEqual([101]);
    server.route("/empty", { body: new Uint8Array(0) });
    peer.push(
      rec.cmd("body", server.bytesUrl(13, 50_000, "bw")),
      rec.cmd("head", server.bytesUrl(13, 50_000, "bwh"), { method: "HEAD" }),
      rec.cmd("empty", server.url("/empty")),
      rec.cmd("fail", server.url("/nothing-here")),
    );
    await Promise.all(["body", "head", "empty", "fail"].map((k) => rec.done(k)));
    const exec = await peer.handle!.execute({ url: server.bytesUrl(13, 700, "bwx") });
    expect(exec.bytes.byteLength).toBe(700);
    expect(abr.samples.map((s) => s.sample.bytes).sort((a, b) => a - b)).toEqual([700, 50_000]);
    for (const { peerId, sample } of abr.samples) {
      expect(peerId).toBe(101);
      expect(sample.source).toBe("network");
      expect(sample.durationMs).toBeGreaterThanOrEqual(0);
      expect(typeof sample.ttfbMs).toBe("number");
    }
    peer.handle?.dispose();
    expect(abr.unregistered).toEqual([101]);
    await dl.close();
    await http.close();
  });
});
