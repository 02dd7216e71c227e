import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelToken } from "../../src/core/cancel.js";
import { flushMicrotasks, VirtualClock } from "../../src/core/clock.js";
import { Downloader } from "../../src/dl/index.js";
import type { DownloaderEvent } from "../../src/events/domains/downloader.js";
import type { HttpClient } from "../../src/net/types.js";
import { type FaultServer, startFaultServer } from "../support/fault-server.js";
import { CapTracker, Recorder, ScriptPeer, testClient } from "./harness.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
});

function eventsOf(t: CapTracker, requestId: number): DownloaderEvent[] {
  return t.events
    .map((env) => env.event as DownloaderEvent)
    .filter((e) => "requestId" in e && e.requestId === requestId);
}

/**
 * The real client, except that a stream call that fails (here: an aborted one) settles only
 * once `unwind()` is called: a transport slow to tear a request down, which the scheduler
 * must not wait for when nothing of the body was written yet.
 */
function slowUnwinding(http: HttpClient): {
  client: HttpClient;
  unwind: () => void;
  settled: () => number;
} {
  let open: () => void = () => {};
  const gate = new Promise<void>((r) => {
    open = r;
  });
  let settled = 0;
  const client: HttpClient = {
    getBytes: (url, o) => http.getBytes(url, o),
    getRange: (url, range, o) => http.getRange(url, range, o),
    head: (url, o) => http.head(url, o),
    stream: (url, o) =>
      http.stream(url, o).catch(async (err: unknown) => {
        await gate;
        settled++;
        throw err;
      }),
    close: () => http.close(),
  };
  return { client, unwind: open, settled: () => settled };
}

describe("Downloader pre-emption releases the slot", () => {
  it("DL-16 DL-1 DL-7: a victim nothing of which was written ends at once (Preempted) and frees its slot while its request still unwinds", async () => {
    const http = testClient();
    const slow = slowUnwinding(http);
    const clock = new VirtualClock();
    const dl = new Downloader({
      http: slow.client,
      clock,
      maxConcurrent: 1,
      preempt: { afterMs: 0 },
    });
    const t = new CapTracker(dl, 1);
    const rec = new Recorder();
    server.setFaults("/bytes/31/10/victim", { stallBeforeHeadersMs: Number.POSITIVE_INFINITY });
    const low = new ScriptPeer("low").attach(dl);
    const high = new ScriptPeer("high").attach(dl);
    low.push(rec.cmd("victim", server.bytesUrl(31, 10, "victim")));
    await dl.bus.waitFor((e) => e.type === "RequestStarted");
    high.push(rec.cmd("urgent", server.bytesUrl(31, 10, "urgent")));
    const victim = await rec.done("victim");
    expect(victim.error?.kind).toBe("Cancelled");
    expect(victim.error?.cause).toBe("Preempted");
    expect(victim.bytes).toBe(0);
    // The urgent fetch runs to its end while the victim's request has not unwound yet.
    const urgent = await rec.done("urgent");
    expect(urgent.error).toBeUndefined();
    expect(urgent.bytes).toBe(10);
    expect(slow.settled()).toBe(0);
    expect(eventsOf(t, 1).map((e) => e.type)).toEqual([
      "RequestEnqueued",
      "RequestStarted",
      "RequestCancelled",
    ]);
    expect(eventsOf(t, 1).at(-1)).toMatchObject({ reason: "Preempted", bytes: 0 });
    expect(eventsOf(t, 2).find((e) => e.type === "RequestStarted")).toMatchObject({
      waitInQueue: 0,
    });
    expect(t.violations).toEqual([]);
    expect(t.max).toBe(1);
    // close() still waits for the abandoned request; it never completes a second time.
    slow.unwind();
    await dl.close();
    expect(slow.settled()).toBe(1);
    expect(rec.count("victim")).toBe(1);
    expect(eventsOf(t, 1).filter((e) => e.type === "RequestCancelled")).toHaveLength(1);
    await http.close();
  });

  it("DL-16 DL-1: a victim whose writer already has bytes keeps its slot until it settled, then the urgent fetch starts", async () => {
    const http = testClient();
    const clock = new VirtualClock();
    const dl = new Downloader({ http, clock, maxConcurrent: 1, preempt: { afterMs: 0 } });
    const t = new CapTracker(dl, 1);
    const rec = new Recorder();
    server.setFaults("/bytes/32/10/writing", { stallAfter: 4, stallMs: Number.POSITIVE_INFINITY });
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let firstChunk: () => void = () => {};
    const written = new Promise<void>((r) => {
      firstChunk = r;
    });
    const low = new ScriptPeer("low").attach(dl);
    const high = new ScriptPeer("high").attach(dl);
    low.push(
      rec.cmd("writing", server.bytesUrl(32, 10, "writing"), {
        writer: () => {
          firstChunk();
          return held; // an async writer still busy with the first chunk
        },
      }),
    );
    await written;
    high.push(rec.cmd("urgent", server.bytesUrl(32, 10, "urgent")));
    await flushMicrotasks(); // the pump ran: the victim is cancelled but still writing
    expect(dl.inFlight).toBe(1);
    expect(eventsOf(t, 2).map((e) => e.type)).toEqual(["RequestEnqueued"]);
    expect(rec.count("writing")).toBe(0);
    release();
    const victim = await rec.done("writing");
    expect(victim.error?.kind).toBe("Cancelled");
    expect(victim.bytes).toBe(4);
    expect((await rec.done("urgent")).error).toBeUndefined();
    const order = t.events
      .map((env) => env.event as DownloaderEvent)
      .filter((e) => e.type === "RequestCancelled" || e.type === "RequestStarted")
      .map((e) => `${e.type}:${"requestId" in e ? e.requestId : ""}`);
    expect(order).toEqual(["RequestStarted:1", "RequestCancelled:1", "RequestStarted:2"]);
    expect(eventsOf(t, 1).at(-1)).toMatchObject({ reason: "Preempted", bytes: 4 });
    expect(t.violations).toEqual([]);
    await dl.close();
    await http.close();
  });
  it("DL-16: the youngest victim nothing of which was written is preferred over a younger one already writing", async () => {
    const http = testClient();
    const clock = new VirtualClock();
    const dl = new Downloader({ http, clock, maxConcurrent: 2, preempt: { afterMs: 0 } });
    const t = new CapTracker(dl, 2);
    const rec = new Recorder();
    const epoch = CancelToken.root();
    server.setFaults("/bytes/33/10/waiting", { stallBeforeHeadersMs: Number.POSITIVE_INFINITY });
    server.setFaults("/bytes/33/10/writing", { stallAfter: 4, stallMs: Number.POSITIVE_INFINITY });
    let firstChunk: () => void = () => {};
    const written = new Promise<void>((r) => {
      firstChunk = r;
    });
    const low = new ScriptPeer("low").attach(dl);
    const high = new ScriptPeer("high").attach(dl);
    low.push(rec.cmd("waiting", server.bytesUrl(33, 10, "waiting"), { epoch }));
    await dl.bus.waitFor((e) => e.type === "RequestStarted");
    low.push(rec.cmd("writing", server.bytesUrl(33, 10, "writing"), { epoch, writer: firstChunk }));
    await written;
    high.push(rec.cmd("urgent", server.bytesUrl(33, 10, "urgent")));
    const waiting = await rec.done("waiting");
    expect(waiting.error?.cause).toBe("Preempted");
    expect((await rec.done("urgent")).error).toBeUndefined();
    expect(rec.count("writing")).toBe(0); // younger, but already writing: left to finish
    epoch.cancel();
    expect((await rec.done("writing")).error?.kind).toBe("Cancelled");
    expect(eventsOf(t, 2).at(-1)).toMatchObject({
      type: "RequestCancelled",
      reason: "EpochCancel",
    });
    expect(t.violations).toEqual([]);
    await dl.close();
    await http.close();
  });
});
