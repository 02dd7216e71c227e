import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelToken } from "../../src/core/cancel.js";
import { VirtualClock } from "../../src/core/clock.js";
import { NetError } from "../../src/core/errors.js";
import { Downloader, DownloaderClosedError, type FetchCmd } from "../../src/dl/index.js";
import { EventBus } from "../../src/events/bus.js";
import type { DownloaderEvent } from "../../src/events/domains/downloader.js";
import { bodyBytes, type FaultServer, sha256, startFaultServer } from "../support/fault-server.js";
import { CapTracker, Recorder, ScriptPeer, testClient } from "./harness.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
});

function stalled(tag: string): string {
  server.setFaults(`/bytes/7/10/${tag}`, { stallBeforeHeadersMs: Number.POSITIVE_INFINITY });
  return server.bytesUrl(7, 10, tag);
}

function withoutWriter(cmd: FetchCmd): FetchCmd {
  const { writer: _unused, ...rest } = cmd;
  return rest;
}

function cancelReasons(t: CapTracker): Map<number, string> {
  const out = new Map<number, string>();
  for (const env of t.events) {
    const e = env.event as DownloaderEvent;
    if (e.type === "RequestCancelled") out.set(e.requestId, e.reason);
  }
  return out;
}

describe("Downloader completion and cancellation", () => {
  it("DL-7 DL-17 DL-14: close with commands queued (cap 0) completes each exactly once with Cancelled / DownloaderShutdown", async () => {
    const http = testClient();
    const clock = new VirtualClock();
    const dl = new Downloader({ http, clock, maxConcurrent: 0 });
    const t = new CapTracker(dl, 0);
    const rec = new Recorder();
    const peers = [new ScriptPeer("high"), new ScriptPeer("low")].map((p) => p.attach(dl));
    const epoch = CancelToken.root();
    for (let i = 0; i < 40; i++) {
      const extra = i === 0 ? { epoch } : {};
      peers[i % 2]?.push(rec.cmd(`k${i}`, server.bytesUrl(1, 10, `k${i}`), extra));
    }
    const exec = peers[0]?.handle?.execute({ url: server.bytesUrl(1, 10, "exec") });
    await new Promise((r) => setImmediate(r));
    expect(dl.snapshot().queued.reduce((a, b) => a + b, 0)).toBe(41);
    await dl.close();
    for (let i = 0; i < 40; i++) {
      expect(rec.count(`k${i}`)).toBe(1);
      const c = rec.completions.get(`k${i}`)?.[0];
      expect(c?.error).toBeInstanceOf(NetError);
      expect(c?.error?.kind).toBe("Cancelled");
      expect(c?.bytes).toBe(0);
    }
    await expect(exec).rejects.toMatchObject({ kind: "Cancelled" });
    // [+] corrected order: the downloader's token wins over the peer's and the epoch's.
    epoch.cancel();
    const reasons = [...cancelReasons(t).values()];
    expect(reasons).toHaveLength(41);
    expect(new Set(reasons)).toEqual(new Set(["DownloaderShutdown"]));
    expect(server.requests.filter((r) => r.path.includes("/k"))).toHaveLength(0);
    expect(() => new ScriptPeer().attach(dl)).toThrow(DownloaderClosedError);
    expect(clock.pendingTimers).toBe(0);
    await http.close();
  });

  it("DL-14 DL-17: disposing one handle cancels only its work (PeerCancel), epochs cancel one command (EpochCancel)", async () => {
    const http = testClient();
    const dl = new Downloader({ http, maxConcurrent: 2 });
    const t = new CapTracker(dl, 2);
    const rec = new Recorder();
    const a = new ScriptPeer().attach(dl);
    const b = new ScriptPeer().attach(dl);
    const epoch = CancelToken.root();
    a.push(rec.cmd("a-run", stalled("a-run")), rec.cmd("a-q1", server.bytesUrl(2, 50, "a-q1")));
    b.push(rec.cmd("b-run", server.bytesUrl(2, 5000, "b-run")));
    b.push(rec.cmd("b-epoch", server.bytesUrl(2, 50, "b-epoch"), { epoch }));
    b.push(rec.cmd("b-q", server.bytesUrl(2, 50, "b-q")));
    await dl.bus.waitFor((e) => e.type === "RequestStarted");
    epoch.cancel();
    const disposed = dl.bus.waitFor((e) => e.type === "PeerDisposed");
    a.handle?.dispose();
    a.handle?.dispose(); // idempotent
    expect((await disposed).event).toMatchObject({ peerId: a.handle?.peerId });
    await Promise.all(["a-run", "a-q1", "b-run", "b-epoch", "b-q"].map((k) => rec.done(k)));
    expect(rec.completions.get("a-run")?.[0]?.error?.kind).toBe("Cancelled");
    expect(rec.completions.get("a-q1")?.[0]?.error?.kind).toBe("Cancelled");
    expect(rec.completions.get("b-epoch")?.[0]?.error?.kind).toBe("Cancelled");
    expect(rec.completions.get("b-run")?.[0]).toMatchObject({ bytes: 5000, error: undefined });
    expect(rec.completions.get("b-q")?.[0]).toMatchObject({ bytes: 50, error: undefined });
    const reasons = [...cancelReasons(t).values()].sort();
    expect(reasons).toEqual(["EpochCancel", "PeerCancel", "PeerCancel"]);
    expect(a.handle?.token.isCancelled).toBe(true);
    expect(b.handle?.token.isCancelled).toBe(false);
    // A disposed peer's imperative fetches resolve with Cancelled (DL-9).
    await expect(a.handle?.execute({ url: server.bytesUrl(2, 5) })).rejects.toMatchObject({
      kind: "Cancelled",
    });
    await dl.close();
    await http.close();
  });

  it("DL-14: cancelling the parent token shuts the downloader down", async () => {
    const http = testClient();
    const parent = CancelToken.root();
    const dl = new Downloader({ http, parent, maxConcurrent: 0 });
    const rec = new Recorder();
    new ScriptPeer().attach(dl).push(rec.cmd("q", server.bytesUrl(3, 5, "parent")));
    await new Promise((r) => setImmediate(r));
    parent.cancel();
    await dl.close();
    expect(dl.token.isCancelled).toBe(true);
    expect(rec.completions.get("q")?.[0]?.error?.kind).toBe("Cancelled");
    expect(() => new ScriptPeer().attach(dl)).toThrow(DownloaderClosedError);
    await http.close();
  });

  it("DL-8: delivery with writer, without writer, HEAD, validator rejection, throwing writer (real bytes), async writer backpressure", async () => {
    const http = testClient();
    const dl = new Downloader({ http });
    const rec = new Recorder();
    const peer = new ScriptPeer().attach(dl);
    const chunks: Uint8Array[] = [];
    let responses = 0;
    const order: string[] = [];
    peer.push(
      rec.cmd("full", server.bytesUrl(5, 100_000, "full"), {
        onResponse: () => {
          responses++;
          order.push("response");
        },
        writer: (c) => {
          order.push("chunk");
          chunks.push(c);
        },
      }),
      withoutWriter(rec.cmd("nowriter", server.bytesUrl(5, 1000, "nowriter"))),
      rec.cmd("head", server.bytesUrl(5, 1234, "head"), { method: "HEAD" }),
      rec.cmd("reject", server.bytesUrl(5, 10, "reject"), {
        validate: () => {
          throw new Error("nope");
        },
      }),
    );
    let written = 0;
    peer.push(
      rec.cmd("throws", server.bytesUrl(5, 200_000, "throws"), {
        writer: (c) => {
          if (written > 0) throw new Error("disk full");
          written += c.byteLength;
        },
      }),
    );
    const full = await rec.done("full");
    expect(full.error).toBeUndefined();
    expect(full.bytes).toBe(100_000);
    expect(full.response).toMatchObject({ status: 200, partial: false, total: 100_000 });
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(bodyBytes(5, 100_000)));
    expect(responses).toBe(1);
    expect(order[0]).toBe("response");
    expect(await rec.done("nowriter")).toMatchObject({ bytes: 0, error: undefined });
    expect((await rec.done("nowriter")).response?.status).toBe(200);
    const head = await rec.done("head");
    expect(head).toMatchObject({ bytes: 0, error: undefined });
    expect(head.response?.total).toBe(1234);
    const reject = await rec.done("reject");
    expect(reject.bytes).toBe(0);
    expect(reject.response).toBeUndefined();
    expect(reject.error?.kind).toBe("Decode");
    const thrown = await rec.done("throws");
    expect(thrown.error?.kind).toBe("Decode");
    expect(thrown.error?.message).toMatch(/disk full/);
    expect(thrown.bytes).toBe(written); // [+] the real bytes written, not 0
    expect(thrown.bytes).toBeGreaterThan(0);

    // A fetch counts against the cap until the async writer has finished.
    const slow = new Downloader({ http, maxConcurrent: 1 });
    const p2 = new ScriptPeer().attach(slow);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let calls = 0;
    p2.push(
      rec.cmd("bp", server.bytesUrl(6, 10, "bp"), {
        writer: () => {
          calls++;
          return gate;
        },
      }),
      rec.cmd("next", server.bytesUrl(6, 10, "next")),
    );
    while (calls === 0) await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(slow.inFlight).toBe(1);
    expect(rec.count("bp") + rec.count("next")).toBe(0);
    expect(server.requestsTo("/bytes/6/10/next")).toHaveLength(0);
    release();
    await rec.done("next");
    expect(rec.order.indexOf("bp")).toBeLessThan(rec.order.indexOf("next"));
    await slow.close();
    await dl.close();
    await http.close();
  });

  it("DL-9: execute and batch read whole bodies in array order with per-item errors; imperative commands are urgent", async () => {
    const http = testClient();
    const dl = new Downloader({ http, maxConcurrent: 1 });
    const t = new CapTracker(dl, 1);
    const peer = new ScriptPeer("low").attach(dl);
    const h = peer.handle!;
    const one = await h.execute({ url: server.bytesUrl(8, 3000, "one") });
    expect(one.bytes).toEqual(bodyBytes(8, 3000));
    expect(one.response.status).toBe(200);
    const ranged = await h.execute({
      url: server.bytesUrl(8, 3000, "r"),
      range: { start: 10, end: 20 },
    });
    expect(ranged.bytes).toEqual(bodyBytes(8, 3000).slice(10, 20));
    expect(ranged.response.partial).toBe(true);
    const results = await h.batch([
      { url: server.bytesUrl(8, 10, "b0") },
      { url: server.url("/missing") },
      { url: server.bytesUrl(8, 20, "b2"), method: "HEAD" },
    ]);
    expect(results[0]).toMatchObject({ ok: true });
    expect(results[1]).toMatchObject({ ok: false, error: { kind: "Status", status: 404 } });
    expect(results[2]?.ok && results[2].value.response.total).toBe(20);
    // [+] the imperative path publishes the same lifecycle, terminal event included.
    const types = t.events.map((e) => e.event.type);
    expect(types.filter((x) => x === "RequestEnqueued")).toHaveLength(5);
    expect(types.filter((x) => x === "RequestCompleted")).toHaveLength(4);
    expect(types.filter((x) => x === "RequestFailed")).toHaveLength(1);
    // Imperative commands land in the high command slot of a low peer: slot 2, ahead of slot 3.
    const epoch = CancelToken.root();
    server.setFaults("/bytes/8/10/hold", { stallBeforeHeadersMs: Number.POSITIVE_INFINITY });
    const rec = new Recorder();
    peer.push(rec.cmd("hold", server.bytesUrl(8, 10, "hold"), { epoch }));
    await dl.bus.waitFor((e) => e.type === "RequestStarted");
    peer.push(rec.cmd("streamed", server.bytesUrl(8, 10, "streamed")));
    await new Promise((r) => setImmediate(r));
    const ex = h.execute({ url: server.bytesUrl(8, 10, "exec") });
    await new Promise((r) => setImmediate(r));
    expect(dl.snapshot().queued).toEqual([0, 0, 1, 1]);
    epoch.cancel();
    await ex;
    await rec.done("streamed");
    await dl.close();
    await http.close();
  });

  it("DL-9 DL-17: withBus routes a handle's imperative events to another bus; `using` disposes the peer", async () => {
    const http = testClient();
    const dl = new Downloader({ http });
    const other = EventBus.root();
    const seenOther: string[] = [];
    const seenPeer: string[] = [];
    other.subscribe((env) => seenOther.push(env.event.type));
    let token: CancelToken | undefined;
    {
      using handle = dl.register(new ScriptPeer());
      token = handle.token;
      handle.bus.subscribe((env) => seenPeer.push(env.event.type));
      const view = handle.withBus(other);
      expect(view.peerId).toBe(handle.peerId);
      await view.execute({ url: server.bytesUrl(9, 64, "withbus") });
      expect(token.isCancelled).toBe(false);
    }
    expect(token.isCancelled).toBe(true);
    expect(seenOther.filter((x) => x.startsWith("Request"))).toEqual([
      "RequestEnqueued",
      "RequestStarted",
      "RequestCompleted",
    ]);
    expect(seenPeer.filter((x) => x.startsWith("Request"))).toEqual([]);
    expect(seenPeer).toContain("PeerDisposed");
    await dl.close();
    await http.close();
  });

  it("DL-7 DL-13 DL-14: event subscribers that re-enter (dispose, register, enqueue, cancel, close) keep every invariant", async () => {
    const http = testClient();
    const dl = new Downloader({ http, maxConcurrent: 2 });
    const t = new CapTracker(dl, 2);
    const rec = new Recorder();
    const a = new ScriptPeer().attach(dl);
    const b = new ScriptPeer().attach(dl);
    const epoch = CancelToken.root();
    const late: ScriptPeer[] = [];
    const startedAfterCancel: number[] = [];
    let closing: Promise<void> | undefined;
    let lateId = -1;
    dl.bus.subscribe((env) => {
      const e = env.event as DownloaderEvent;
      if (e.type === "RequestEnqueued" && e.url.endsWith("/kill-b")) b.handle?.dispose();
      if (e.type === "RequestStarted" && e.requestId === 1) {
        const c = new ScriptPeer("high").attach(dl);
        late.push(c);
        c.push(rec.cmd("late", server.bytesUrl(5, 10, "late")));
        epoch.cancel();
      }
      if (e.type === "RequestStarted" && epoch.isCancelled && e.requestId === 3)
        startedAfterCancel.push(e.requestId);
      if (e.type === "RequestCompleted" && e.requestId === 1)
        a.push(rec.cmd("from-event", server.bytesUrl(5, 10, "from-event")));
      if (e.type === "RequestEnqueued" && e.url.endsWith("/late")) lateId = e.requestId;
      if (e.type === "RequestCompleted" && e.requestId === lateId) closing = dl.close();
    });
    a.push(
      rec.cmd("first", server.bytesUrl(5, 10, "first")),
      rec.cmd("b-killer", server.bytesUrl(5, 10, "kill-b")),
      rec.cmd("epoch", server.bytesUrl(5, 10, "epoch"), { epoch }),
    );
    b.push(rec.cmd("b1", server.bytesUrl(5, 10, "b1")));
    await Promise.all(["first", "b-killer", "epoch", "late"].map((k) => rec.done(k)));
    while (!closing) await new Promise((r) => setImmediate(r));
    await closing;
    for (const k of ["first", "b-killer", "epoch", "late"]) expect(rec.count(k)).toBe(1);
    // b was disposed (from a subscriber) before it was ever polled: b1 was never accepted.
    expect(rec.count("b1")).toBe(0);
    expect(server.requestsTo("/bytes/5/10/b1")).toHaveLength(0);
    expect(rec.count("from-event")).toBeLessThanOrEqual(1);
    expect(rec.completions.get("epoch")?.[0]?.error?.kind).toBe("Cancelled");
    expect(startedAfterCancel).toEqual([]);
    expect(t.violations).toEqual([]);
    expect(dl.inFlight).toBe(0);
    await http.close();
  });

  it("DL-7 DL-17: re-entrant onComplete (registers a peer, enqueues, disposes, closes) keeps every invariant", async () => {
    const http = testClient();
    const dl = new Downloader({ http, maxConcurrent: 2 });
    const t = new CapTracker(dl, 2);
    const rec = new Recorder();
    const a = new ScriptPeer().attach(dl);
    const b = new ScriptPeer().attach(dl);
    const spawned: ScriptPeer[] = [];
    b.push(rec.cmd("b-queued", server.bytesUrl(4, 10, "bq")));
    a.push(
      rec.cmd("first", server.bytesUrl(4, 10, "first"), {
        onComplete: () => {
          // All of this runs synchronously inside the downloader's completion.
          const c = new ScriptPeer("high").attach(dl);
          spawned.push(c);
          c.push(rec.cmd("spawned", server.bytesUrl(4, 10, "spawned")));
          a.push(rec.cmd("again", server.bytesUrl(4, 10, "again")));
          b.handle?.dispose();
          expect(dl.inFlight).toBeLessThanOrEqual(2);
        },
      }),
    );
    await Promise.all(["first", "spawned", "again", "b-queued"].map((k) => rec.done(k)));
    for (const k of ["first", "spawned", "again", "b-queued"]) expect(rec.count(k)).toBe(1);
    expect(rec.completions.get("spawned")?.[0]?.error).toBeUndefined();
    expect(t.violations).toEqual([]);
    // A completion that closes the downloader and enqueues more: still exactly once each.
    const c = spawned[0]!;
    let closing: Promise<void> | undefined;
    c.push(
      rec.cmd("closer", server.bytesUrl(4, 10, "closer"), {
        onComplete: () => {
          closing = dl.close();
          c.push(rec.cmd("late", server.bytesUrl(4, 10, "late")));
          expect(() => new ScriptPeer().attach(dl)).toThrow(DownloaderClosedError);
        },
      }),
    );
    await rec.done("closer");
    await closing;
    await new Promise((r) => setImmediate(r));
    expect(rec.count("closer")).toBe(1);
    expect(rec.count("late")).toBe(0); // never accepted: the peer is not polled after close
    expect(dl.inFlight).toBe(0);
    expect(t.inFlight).toBe(0);
    await http.close();
  });
});
