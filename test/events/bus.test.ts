import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { EventBus } from "../../src/events/bus.js";
import { parseNdjson, pipeNdjson, toNdjsonLine } from "../../src/events/ndjson.js";
import {
  type BusMessage,
  type Envelope,
  isLagged,
  type PlectrumEvent,
} from "../../src/events/types.js";

const slow = (peerId: number, requestId = 1): PlectrumEvent => ({
  domain: "downloader",
  type: "LoadSlow",
  peerId,
  requestId,
  elapsed: 2000,
});

function collect(bus: EventBus): Envelope[] {
  const out: Envelope[] = [];
  bus.subscribe((e) => out.push(e));
  return out;
}

describe("EventBus", () => {
  it("EVT-1: a publish reaches its own subscribers and every ancestor's, never siblings or children", () => {
    const root = EventBus.root();
    const a = root.scoped();
    const b = root.scoped();
    const a1 = a.scoped();
    const [seenRoot, seenA, seenB, seenA1] = [collect(root), collect(a), collect(b), collect(a1)];
    a.publish(slow(1));
    a1.publish(slow(2));
    expect(seenRoot.map((e) => e.origin)).toEqual([a.id, a1.id]);
    expect(seenA.map((e) => e.origin)).toEqual([a.id, a1.id]);
    expect(seenA1.map((e) => e.origin)).toEqual([a1.id]);
    expect(seenB).toEqual([]);
  });

  it("EVT-2: envelopes carry origin, a hierarchy-wide strictly increasing seq, clock ts in µs and inherited labels", () => {
    const clock = new VirtualClock(1.5);
    const root = EventBus.root({ clock });
    const deck = root.scoped({ deck: "A" });
    const track = deck.scoped({ track: "t1" });
    const override = track.scoped({ deck: "B" });
    const seen = collect(root);
    deck.publish(slow(1));
    track.publish(slow(2));
    root.scoped().publish(slow(3));
    override.publish(slow(4));
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(seen[0]).toMatchObject({ origin: deck.id, ts: 1500, deck: "A" });
    expect(seen[0]?.track).toBeUndefined();
    expect(seen[1]).toMatchObject({ deck: "A", track: "t1" });
    expect(seen[2]?.deck).toBeUndefined();
    expect(seen[3]).toMatchObject({ deck: "B", track: "t1" });
  });

  it("EVT-3: an async subscriber receives events in order and ends on close", async () => {
    const bus = EventBus.root();
    const sub = bus.events();
    bus.publish(slow(1));
    bus.publish(slow(2));
    const got: BusMessage[] = [];
    const reader = (async () => {
      for await (const m of sub) got.push(m);
    })();
    await new Promise((r) => setImmediate(r));
    bus.publish(slow(3));
    await new Promise((r) => setImmediate(r));
    sub.close();
    await reader;
    expect(
      got.map((m) => (isLagged(m) ? -1 : m.event.type === "LoadSlow" ? m.event.peerId : 0)),
    ).toEqual([1, 2, 3]);
    expect(bus.subscriberCount).toBe(0);
  });

  it("EVT-3: a full buffer drops the oldest and reports lagged(n) to that subscriber only", async () => {
    const bus = EventBus.root();
    const slowSub = bus.events({ capacity: 4 });
    const fastSub = bus.events({ capacity: 100 });
    for (let i = 1; i <= 10; i++) bus.publish(slow(i));
    const first = await slowSub.next();
    expect(first.value).toEqual({ lagged: 6 });
    const rest: number[] = [];
    for (let i = 0; i < 4; i++) {
      const m = (await slowSub.next()).value as Envelope;
      if (m.event.type === "LoadSlow") rest.push(m.event.peerId);
    }
    expect(rest).toEqual([7, 8, 9, 10]);
    const fastFirst = (await fastSub.next()).value as BusMessage;
    expect(isLagged(fastFirst)).toBe(false);
    expect(fastSub.buffered).toBe(9);
    slowSub.close();
    fastSub.close();
  });

  it("EVT-3: a throwing synchronous subscriber never reaches the publisher or other subscribers", () => {
    const bus = EventBus.root();
    bus.subscribe(() => {
      throw new Error("bad subscriber");
    });
    const seen = collect(bus);
    expect(() => bus.publish(slow(1))).not.toThrow();
    expect(seen).toHaveLength(1);
    expect(bus.subscriberErrors).toBe(1);
  });

  it("EVT-3: an aborted signal closes the async subscriber and unsubscribes it", async () => {
    const bus = EventBus.root();
    const ac = new AbortController();
    const sub = bus.events({ signal: ac.signal });
    const pending = sub.next();
    ac.abort();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(bus.subscriberCount).toBe(0);
  });

  it("EVT-1: waitFor resolves with the first matching event and unsubscribes", async () => {
    const bus = EventBus.root();
    const p = bus.waitFor(
      (e) => e.domain === "downloader" && e.type === "LoadSlow" && e.peerId === 2,
    );
    bus.publish(slow(1));
    bus.publish(slow(2));
    const env = await p;
    expect(env.seq).toBe(2);
    expect(bus.subscriberCount).toBe(0);
  });

  it("EVT-4: every domain's events serialise to NDJSON and back losslessly", () => {
    const bus = EventBus.root({ clock: new VirtualClock(7) }).scoped({ deck: "d", track: "t" });
    const events: PlectrumEvent[] = [
      {
        domain: "downloader",
        type: "RequestEnqueued",
        requestId: 1,
        peerId: 1,
        url: "http://h/a",
        method: "GET",
        priority: "high",
      },
      {
        domain: "downloader",
        type: "RequestFailed",
        requestId: 1,
        peerId: 1,
        error: {
          name: "NetError",
          code: "NET_STATUS",
          message: "HTTP 404",
          kind: "Status",
          status: 404,
          retryable: false,
        },
        retryable: false,
      },
      { domain: "abr", type: "VariantApplied", peerId: 1, from: 0, to: 2, reason: "UpSwitch" },
      { domain: "abr", type: "BufferAhead", peerId: 1, seconds: null },
      { domain: "file", type: "CacheComplete", url: "http://h/f", total: 123 },
      { domain: "hls", type: "SegmentLoaded", variant: 1, segment: 4, bytes: 9000, cached: false },
      {
        domain: "asset",
        type: "Evicted",
        assetRoot: "ab".repeat(16),
        reason: "MaxBytes",
        bytes: 10,
      },
      { domain: "drm", type: "KeyLoaded", uri: "http://h/k", cached: true },
    ];
    const lines: string[] = [];
    const off = pipeNdjson(bus, { write: (l) => lines.push(l) });
    const seen = collect(bus);
    for (const e of events) bus.publish(e);
    off();
    bus.publish(events[0] as PlectrumEvent);
    expect(lines).toHaveLength(events.length);
    expect(lines.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n"))).toBe(true);
    expect(parseNdjson(lines.join(""))).toEqual(seen.slice(0, events.length));
    expect(toNdjsonLine(seen[0] as Envelope)).toBe(lines[0]);
  });
});
