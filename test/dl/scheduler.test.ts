import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY_NAME } from "../../src/abr/index.js";
import { CancelToken } from "../../src/core/cancel.js";
import { VirtualClock } from "../../src/core/clock.js";
import { DOWNLOADER_DEFAULTS, Downloader, DownloaderConfigError } from "../../src/dl/index.js";
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

/** A URL that answers only when the client goes away (a fetch that holds its slot). */
function blockerUrl(tag: string): string {
  server.setFaults(`/bytes/9/10/${tag}`, { stallBeforeHeadersMs: Number.POSITIVE_INFINITY });
  return server.bytesUrl(9, 10, tag);
}

function startedUrls(t: CapTracker): string[] {
  const byId = new Map<number, string>();
  const out: string[] = [];
  for (const env of t.events) {
    const e = env.event as DownloaderEvent;
    if (e.type === "RequestEnqueued") byId.set(e.requestId, e.url);
    if (e.type === "RequestStarted") out.push(byId.get(e.requestId) ?? "?");
  }
  return out;
}

describe("Downloader scheduling", () => {
  it("DL-1: defaults are cap 5, soft timeout 2 s, no demand throttle, hang timeout 60 s, an ABR controller; bad values are typed errors", async () => {
    expect(DOWNLOADER_DEFAULTS).toEqual({
      maxConcurrent: 5,
      softTimeoutMs: 2_000,
      demandThrottleMs: 0,
      hangTimeoutMs: 60_000,
    });
    expect(() => new Downloader({ http: testClient(), maxConcurrent: -1 })).toThrow(
      DownloaderConfigError,
    );
    expect(() => new Downloader({ http: testClient(), maxConcurrent: 1.5 })).toThrow(
      /maxConcurrent must be a non-negative integer/,
    );
    // Default ABR controller, configured through abrSettings and typed as AbrController.
    const clock = new VirtualClock(5);
    const configured = new Downloader({ clock, abrSettings: { minSwitchIntervalMs: 1 } });
    expect(configured.abr.clock).toBe(clock);
    expect(configured.abr.policy.name).toBe(DEFAULT_POLICY_NAME);
    await configured.close(); // also closes the HTTP client it created
    // The default cap: 12 commands, never more than 5 in flight.
    const http = testClient();
    const dl = new Downloader({ http });
    const t = new CapTracker(dl, 5);
    const rec = new Recorder();
    const peer = new ScriptPeer().attach(dl);
    for (let i = 0; i < 12; i++) peer.push(rec.cmd(`c${i}`, server.bytesUrl(i, 4096, `d${i}`)));
    await Promise.all(Array.from({ length: 12 }, (_, i) => rec.done(`c${i}`)));
    expect(t.max).toBeLessThanOrEqual(5);
    expect(t.max).toBeGreaterThan(1);
    await dl.close();
    await http.close();
  });

  it("DL-2: a peer that answered pending is not polled again until it wakes; done is never polled again", async () => {
    const http = testClient();
    const dl = new Downloader({ http });
    const rec = new Recorder();
    const peer = new ScriptPeer().attach(dl);
    await new Promise((r) => setImmediate(r));
    expect(peer.polls).toBe(1); // polled once at registration, answered pending
    await new Promise((r) => setImmediate(r));
    expect(peer.polls).toBe(1);
    peer.push(rec.cmd("a", server.bytesUrl(1, 100, "dl2")));
    await rec.done("a");
    const afterBatch = peer.polls;
    expect(afterBatch).toBeGreaterThanOrEqual(2);
    peer.finished = true;
    peer.handle?.wake();
    await new Promise((r) => setImmediate(r));
    const atDone = peer.polls;
    peer.handle?.wake();
    await new Promise((r) => setImmediate(r));
    expect(peer.polls).toBe(atDone);
    await dl.close();
    await http.close();
  });

  it("DL-4 DL-5: urgent slots drain first (0 then 1), a high peer's queue drains before a low peer's", async () => {
    const http = testClient();
    const dl = new Downloader({ http, maxConcurrent: 1 });
    const t = new CapTracker(dl, 1);
    const rec = new Recorder();
    const low = new ScriptPeer("low").attach(dl);
    const high = new ScriptPeer("high").attach(dl);
    const u = (tag: string) => server.bytesUrl(2, 64, tag);
    low.push(rec.cmd("L-low", u("L-low")), rec.cmd("L-high", u("L-high"), { priority: "high" }));
    high.push(
      rec.cmd("H-low1", u("H-low1")),
      rec.cmd("H-high", u("H-high"), { priority: "high" }),
      rec.cmd("H-low2", u("H-low2")),
    );
    await Promise.all(["L-low", "L-high", "H-low1", "H-high", "H-low2"].map((k) => rec.done(k)));
    expect(startedUrls(t).map((x) => x.split("/").pop())).toEqual([
      "H-high", // slot 0
      "H-low1", // slot 1, FIFO
      "H-low2",
      "L-high", // slot 2
      "L-low", // slot 3
    ]);
    expect(t.max).toBe(1);
    await dl.close();
    await http.close();
  });

  it("DL-5: cap 0 parks everything; demand throttle delays demand batches and urgent work cuts the wait short", async () => {
    const http = testClient();
    const parked = new Downloader({ http, maxConcurrent: 0 });
    const rec0 = new Recorder();
    new ScriptPeer().attach(parked).push(rec0.cmd("p", server.bytesUrl(3, 10, "parked")));
    await new Promise((r) => setImmediate(r));
    expect(parked.snapshot()).toEqual({ inFlight: 0, queued: [0, 0, 0, 1], peers: 1 });
    await parked.close();

    const clock = new VirtualClock();
    const dl = new Downloader({ http, clock, demandThrottleMs: 100 });
    const rec = new Recorder();
    const low = new ScriptPeer("low").attach(dl);
    low.push(rec.cmd("d1", server.bytesUrl(3, 10, "d1")));
    await clock.advance(50);
    expect(dl.inFlight + rec.count("d1")).toBe(0); // still waiting for the throttle
    // Urgent work arrives: it is dispatched at once, without waiting for the throttle.
    const high = new ScriptPeer("high").attach(dl);
    high.push(rec.cmd("u1", server.bytesUrl(3, 10, "u1"), { priority: "high" }));
    await rec.done("u1");
    expect(rec.count("d1")).toBe(0);
    // The demand batch waits a full throttle period after the urgent work.
    await clock.advance(99);
    expect(dl.inFlight + rec.count("d1")).toBe(0);
    await clock.advance(1);
    await rec.done("d1");
    expect(rec.completions.get("d1")?.[0]?.error).toBeUndefined();
    await dl.close();
    await http.close();
  });

  it("DL-6: a peer whose priority changes has its queued commands moved, with PriorityChanged", async () => {
    const http = testClient();
    const dl = new Downloader({ http, maxConcurrent: 1 });
    const t = new CapTracker(dl, 1);
    const rec = new Recorder();
    const blockEpoch = CancelToken.root();
    const blocker = new ScriptPeer("high").attach(dl);
    blocker.push(rec.cmd("block", blockerUrl("dl6"), { epoch: blockEpoch }));
    await dl.bus.waitFor((e) => e.type === "RequestStarted");
    const a = new ScriptPeer("low").attach(dl);
    const b = new ScriptPeer("low").attach(dl);
    const u = (tag: string) => server.bytesUrl(4, 32, tag);
    a.push(rec.cmd("a1", u("a1")), rec.cmd("a2", u("a2")));
    b.push(rec.cmd("b1", u("b1")), rec.cmd("b2", u("b2")));
    await new Promise((r) => setImmediate(r));
    expect(dl.snapshot().queued).toEqual([0, 0, 0, 4]);
    const changed = dl.bus.waitFor((e) => e.type === "PriorityChanged");
    b.prio = "high";
    b.handle?.wake();
    const ev = (await changed).event;
    expect(ev).toMatchObject({
      type: "PriorityChanged",
      peerId: b.handle?.peerId,
      from: "low",
      to: "high",
      moved: 2,
    });
    expect(dl.snapshot().queued).toEqual([0, 2, 0, 2]);
    blockEpoch.cancel();
    await Promise.all(["a1", "a2", "b1", "b2"].map((k) => rec.done(k)));
    expect(
      startedUrls(t)
        .slice(1)
        .map((x) => x.split("/").pop()),
    ).toEqual(["b1", "b2", "a1", "a2"]);
    expect(rec.completions.get("block")?.[0]?.error?.kind).toBe("Cancelled");
    await dl.close();
    await http.close();
  });

  it("DL-2 DL-7: a peer that keeps answering with dead commands cannot starve the event loop", async () => {
    const http = testClient();
    const dl = new Downloader({ http });
    const rec = new Recorder();
    const dead = CancelToken.root();
    dead.cancel();
    let n = 0;
    const handle = dl.register({
      poll: () => [rec.cmd(`dead${n++}`, server.bytesUrl(1, 1, "dead"), { epoch: dead })],
      priority: () => "low",
    });
    // Timers and I/O still run while the peer spins.
    await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 1));
    handle.dispose();
    await dl.close();
    expect(n).toBeGreaterThan(1);
    for (let i = 0; i < n; i++) expect(rec.count(`dead${i}`)).toBe(1);
    expect(rec.completions.get("dead0")?.[0]?.error?.kind).toBe("Cancelled");
    expect(server.requestsTo("/bytes/1/1/dead")).toHaveLength(0);
    await http.close();
  });
});
