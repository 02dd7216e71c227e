import { afterEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { downloadHls, HlsPeer } from "../../src/hls/index.js";
import { LiveHlsFixture, M3U8, makeHlsFixture } from "../support/hls-fixtures.js";
import { type HlsHarness, hlsHarness, until } from "../support/hls-harness.js";

let h: HlsHarness | undefined;
let peer: HlsPeer | undefined;
afterEach(async () => {
  peer?.dispose();
  peer = undefined;
  await h?.close();
  h = undefined;
});

describe("variant switching (HLS-8)", () => {
  it("HLS-8 HLS-6: a mid-stream bandwidth drop switches 4 variants down at a boundary; no byte is downloaded twice", async () => {
    const fx = makeHlsFixture({ segments: 12, segmentSize: () => 20_000 });
    // Classic (estimate-driven) policy: what is tested is the switch at a boundary, not a
    // policy's appetite for going back up on the loopback's real samples.
    h = await hlsHarness(fx, { minSwitchIntervalMs: 0, policy: "classic" });
    h.bus.subscribe((env) => {
      const e = env.event;
      if (e.domain === "hls" && e.type === "SegmentLoaded" && e.segment >= 3) {
        const peerId = h!.of("VariantsRegistered")[0]!.peerId;
        // The link collapses from segment 3 on and stays down: every segment adds 20 s of
        // samples at 16 kbit/s, which outweigh the (few ms of) loopback ones however loaded
        // the machine is.
        h!.abr.recordBandwidth(peerId, { bytes: 40_000, durationMs: 20_000, source: "network" });
      }
    });
    const res = await downloadHls(h.url(fx.entryPath), {
      downloader: h.dl,
      store: h.store,
      abr: h.abr,
      lookAheadBytes: 1,
    });
    const first = res.variants[0]!;
    const last = res.variants.at(-1)!;
    expect(first).toBe(3);
    expect(last).toBeLessThan(first);
    const at = res.variants.indexOf(last);
    expect(at).toBeGreaterThan(3);
    expect(res.variants.slice(at).every((v) => v === last)).toBe(true);
    const changes = h.of("VariantChanged");
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ from: 3, to: last, atSegment: at });
    expect(h.of("VariantApplied").at(-1)).toMatchObject({ from: 3, to: last });
    // Exactly one fetch per segment position, each path at most once.
    const segGets = h.server.requests.filter((r) => r.path.endsWith(".ts"));
    expect(segGets).toHaveLength(12);
    expect(new Set(segGets.map((r) => r.path)).size).toBe(12);
  });

  it("HLS-8 ABR-7: a manual variant change through ABR applies at the next boundary", async () => {
    const fx = makeHlsFixture({ segments: 8, segmentSize: () => 5_000 });
    h = await hlsHarness(fx);
    peer = new HlsPeer(h.url(fx.entryPath), {
      downloader: h.dl,
      store: h.store,
      abr: h.abr,
      variant: 1,
      lookAheadBytes: 1,
    });
    await peer.start();
    await until(() => h!.of("SegmentLoaded").length >= 2, "two segments");
    expect(peer.currentVariant).toBe(1);
    const peerId = h.of("VariantsRegistered")[0]!.peerId;
    h.abr.peer(peerId).setMode({ kind: "manual", index: 2 });
    peer.advanceReader();
    await until(() => h!.of("VariantChanged").length === 1, "switch");
    expect(peer.currentVariant).toBe(2);
    expect(h.of("VariantChanged")[0]).toMatchObject({ from: 1, to: 2 });
  });
});

describe("seek, progress, escape", () => {
  it("HLS-9: a seek far ahead cancels the old epoch's fetches (EpochCancel) and rebuilds the plan at the target", async () => {
    const fx = makeHlsFixture({ segments: 30, bandwidths: [64_000], segmentSize: () => 4_000 });
    h = await hlsHarness(fx);
    for (let i = 0; i < 5; i++)
      h.server.setFaults(`/hls/v0/seg${i}.ts`, { stallBeforeHeadersMs: 60_000 });
    peer = new HlsPeer(h.url(fx.entryPath), {
      downloader: h.dl,
      store: h.store,
      abr: h.abr,
      lookAheadBytes: 6 * 32_000,
    });
    await peer.start();
    await until(() => h!.dl.inFlight >= 5, "five stalled fetches");
    peer.seek(100); // segment 25 (4 s segments)
    await until(() => h!.of("SegmentLoaded").some((e) => e.segment === 25), "target loaded");
    const cancelled = h.of("RequestCancelled");
    expect(cancelled.length).toBeGreaterThanOrEqual(5);
    expect(cancelled.every((e) => e.reason === "EpochCancel")).toBe(true);
    expect(h.of("Seek")[0]).toMatchObject({ epoch: 1, segment: 25, position: 100 });
    expect(peer.plan()[0]).toEqual({ variant: 0, sequence: 25 });
    expect(h.of("SegmentLoaded").some((e) => e.segment < 25)).toBe(false);
  });

  it("HLS-11: buffer ahead is counted from the reader's segment, also after a forward seek", async () => {
    // Segment sizes match the bandwidth estimate, so the 100 000-byte window holds 5.
    const fx = makeHlsFixture({ segments: 20, bandwidths: [64_000], segmentSize: () => 32_000 });
    h = await hlsHarness(fx);
    peer = new HlsPeer(h.url(fx.entryPath), {
      downloader: h.dl,
      store: h.store,
      lookAheadBytes: 100_000,
    });
    await peer.start();
    await until(() => h!.of("SegmentLoaded").length >= 5, "window filled");
    expect(peer.progress()).toEqual({ readerTime: 0, downloadHeadTime: 20 });
    expect(h.server.gets("/hls/v0/seg5.ts")).toBe(0); // HLS-6: the window bounds prefetch
    peer.seek(41); // segment 10, 1 s in
    await until(() => h!.of("SegmentLoaded").filter((e) => e.segment >= 10).length >= 5, "refill");
    expect(peer.progress()).toEqual({ readerTime: 41, downloadHeadTime: 60 });
  });

  it("HLS-10: the reader waiting on a slow segment marks the variant as escaping and ABR switches away", async () => {
    const fx = makeHlsFixture({ segments: 6, segmentSize: () => 2_000 });
    // A huge minimum interval lets the rescue through (ABR-5) but no later throughput-driven
    // switch back up on the loopback's samples, so the applied variant is the one observed.
    // (The switch applies at the boundary after the slow segment, hence a finite stall; the
    // soft timeout is armed before the server's stall timer in this one event loop.)
    h = await hlsHarness(fx, { softTimeoutMs: 30, minSwitchIntervalMs: 3_600_000 });
    h.server.setFaults("/hls/v3/seg0.ts", { stallBeforeHeadersMs: 300 });
    peer = new HlsPeer(h.url(fx.entryPath), {
      downloader: h.dl,
      store: h.store,
      abr: h.abr,
      lookAheadBytes: 1,
      autoAdvance: true,
    });
    await peer.start();
    expect(peer.currentVariant).toBe(3);
    await until(() => h!.of("VariantApplied").length > 0, "escape switch");
    expect(h.of("SegmentSlow")[0]).toMatchObject({ variant: 3, segment: 0 });
    expect(h.of("VariantApplied")[0]).toMatchObject({ from: 3, reason: "EscapeStalled" });
    expect(peer.currentVariant).not.toBe(3);
  });
});

describe("live playlists (HLS-12)", () => {
  it("HLS-12: a live stream is followed across window slides to EXT-X-ENDLIST, starting 3 target durations from the edge", async () => {
    const clock = new VirtualClock();
    const live = new LiveHlsFixture({ window: 4, total: 10, segmentDuration: 2 });
    const files = live.files(0);
    files.delete(live.playlistPath);
    h = await hlsHarness(files);
    h.server.route(live.playlistPath, {
      body: () => new TextEncoder().encode(live.playlist(clock.now())),
      contentType: M3U8,
    });
    peer = new HlsPeer(h.url(live.playlistPath), {
      downloader: h.dl,
      store: h.store,
      clock,
      autoAdvance: true,
    });
    await peer.start();
    // 4 segments (8 s) at t=0; start at 8 - 3x2 = 2 s -> sequence 1.
    expect(peer.path()[0]).toEqual({ variant: 0, sequence: 1 });
    for (let step = 0; step < 20 && peer.phase === "running"; step++) {
      const before = h.of("LiveReload").length;
      await clock.advance(2_000);
      await until(() => h!.of("LiveReload").length > before || peer!.phase !== "running", "reload");
    }
    await peer.whenComplete();
    expect(peer.path().map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(h.of("LiveReload").filter((e) => e.changed).length).toBeGreaterThanOrEqual(6);
    expect(h.of("SegmentsMissed")).toHaveLength(0);
    expect(h.of("EndOfStream")).toHaveLength(1);
    for (const e of peer.path()) {
      const bytes = await peer.bytesOf(e);
      expect(Buffer.from(bytes).equals(Buffer.from(live.segments[e.sequence]!))).toBe(true);
    }
    expect(clock.pendingTimers).toBe(0);
  });

  it("HLS-12: segments that fall off the window before they are fetched are reported and skipped", async () => {
    const clock = new VirtualClock();
    const live = new LiveHlsFixture({ window: 2, total: 8, segmentDuration: 2, initial: 5 });
    const files = live.files(0);
    files.delete(live.playlistPath);
    h = await hlsHarness(files);
    h.server.route(live.playlistPath, {
      body: () => new TextEncoder().encode(live.playlist(clock.now())),
      contentType: M3U8,
    });
    // The first wanted segment (4) keeps failing, so it is still missing when the window moves on.
    h.server.setFaults(
      live.segmentPath(4),
      Array.from({ length: 8 }, () => ({ status: 503 })),
    );
    peer = new HlsPeer(h.url(live.playlistPath), {
      downloader: h.dl,
      store: h.store,
      clock,
      autoAdvance: true,
      liveEdgeTargets: 1,
      transientBackoffMs: 60_000,
    });
    await peer.start();
    expect(peer.path()[0]?.sequence).toBe(4);
    await until(() => h!.of("SegmentRetry").length === 1, "first round exhausted");
    for (let step = 0; step < 10 && peer.phase === "running"; step++) {
      const before = h.of("LiveReload").length;
      await clock.advance(2_000);
      await until(() => h!.of("LiveReload").length > before || peer!.phase !== "running", "reload");
    }
    await peer.whenComplete();
    expect(h.of("SegmentsMissed")).toEqual([
      { domain: "hls", type: "SegmentsMissed", variant: 0, count: 1, fromSequence: 4 },
    ]);
    expect(peer.path().map((e) => e.sequence)).toEqual([5, 6, 7]);
  });
});

describe("live variant switching (HLS-8, HLS-12)", () => {
  it("HLS-12 HLS-8: a switch in a live ladder reloads the incoming variant and continues by media sequence", async () => {
    const clock = new VirtualClock();
    const lo = new LiveHlsFixture({ prefix: "/live/lo", window: 3, total: 10, segmentDuration: 2 });
    const hi = new LiveHlsFixture({ prefix: "/live/hi", window: 3, total: 10, segmentDuration: 2 });
    const files = new Map([...lo.files(0), ...hi.files(0)]);
    files.delete(lo.playlistPath);
    files.delete(hi.playlistPath);
    h = await hlsHarness(files);
    for (const f of [lo, hi]) {
      h.server.route(f.playlistPath, {
        body: () => new TextEncoder().encode(f.playlist(clock.now())),
        contentType: M3U8,
      });
    }
    h.server.route("/live/master.m3u8", {
      body: new TextEncoder().encode(
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=64000\nlo/live.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=128000\nhi/live.m3u8\n",
      ),
      contentType: M3U8,
    });
    peer = new HlsPeer(h.url("/live/master.m3u8"), {
      downloader: h.dl,
      store: h.store,
      abr: h.abr,
      clock,
      variant: 0,
      autoAdvance: true,
    });
    await peer.start();
    const ctl = h.abr.peer(h.of("VariantsRegistered")[0]!.peerId);
    for (let step = 0; step < 20 && peer.phase === "running"; step++) {
      if (step === 2) ctl.setMode({ kind: "manual", index: 1 });
      const before = h.of("LiveReload").length;
      await clock.advance(2_000);
      await until(() => h!.of("LiveReload").length > before || peer!.phase !== "running", "reload");
    }
    await peer.whenComplete();
    const path = peer.path();
    const seqs = path.map((e) => e.sequence);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
    expect(seqs.at(-1)).toBe(9);
    expect(path[0]?.variant).toBe(0);
    expect(path.at(-1)?.variant).toBe(1);
    expect(h.of("VariantChanged")).toHaveLength(1);
    expect(h.server.gets("/live/hi/live.m3u8")).toBeGreaterThanOrEqual(3);
  });
});
