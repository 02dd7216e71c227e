import { afterEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { HlsPeer } from "../../src/hls/index.js";
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

describe("fetch plan priorities and budget (HLS-6)", () => {
  it("HLS-6: init and the reader's segment are high, prefetch is low; at most 3 commands per poll", async () => {
    const fx = makeHlsFixture({
      segments: 8,
      bandwidths: [64_000],
      init: true,
      segmentSize: () => 32_000,
    });
    h = await hlsHarness(fx, { maxConcurrent: 1 });
    peer = new HlsPeer(h.url(fx.entryPath), {
      downloader: h.dl,
      store: h.store,
      lookAheadBytes: 150_000,
    });
    await peer.start();
    await until(() => h!.of("SegmentLoaded").length >= 6, "window");
    const seg = h.of("RequestEnqueued").filter((e) => /seg\d|init/.test(e.url));
    expect(seg[0]).toMatchObject({ priority: "high" });
    expect(seg[0]!.url).toMatch(/init\.mp4$/);
    expect(seg[1]).toMatchObject({ priority: "high" });
    expect(seg[1]!.url).toMatch(/seg0\.ts$/);
    expect(seg.slice(2).every((e) => e.priority === "low")).toBe(true);
    // Budget: the first poll queued init + 2 segments, never more than 3 at once.
    const firstBatch = h
      .of("RequestEnqueued")
      .filter((e) => /seg\d|init/.test(e.url))
      .slice(0, 4);
    expect(firstBatch.slice(0, 3).map((e) => e.url.split("/").pop())).toEqual([
      "init.mp4",
      "seg0.ts",
      "seg1.ts",
    ]);
    // Window: 150 000 bytes ahead of the reader's segment = 5 more 32 000-byte segments.
    expect(h.server.gets("/hls/v0/seg5.ts")).toBe(1);
    expect(h.server.gets("/hls/v0/seg6.ts")).toBe(0);
  });
});

describe("seek and ABR intents (HLS-9)", () => {
  it("HLS-9 ABR-6: a seek drops a throughput-driven pending switch but keeps a manual one", async () => {
    const fx = makeHlsFixture({ segments: 10, segmentSize: () => 2_000 });
    h = await hlsHarness(fx, { minSwitchIntervalMs: 0 });
    peer = new HlsPeer(h.url(fx.entryPath), {
      downloader: h.dl,
      store: h.store,
      abr: h.abr,
      lookAheadBytes: 1,
    });
    await peer.start();
    const ctl = h.abr.peer(h.of("VariantsRegistered")[0]!.peerId);
    // The reader stays in segment 0 and the 1-byte window is full: no boundary is reached,
    // so an intent stays pending until the seek.
    h.abr.recordBandwidth(ctl.peerId, { bytes: 40_000, durationMs: 20_000, source: "network" });
    expect(ctl.pending()?.reason).toMatch(/DownSwitch/);
    peer.seek(20);
    expect(ctl.pending()).toBeNull();
    ctl.setMode({ kind: "manual", index: 1 });
    expect(ctl.pending()?.reason).toBe("Manual");
    peer.seek(8);
    expect(ctl.pending()).toMatchObject({ target: 1, reason: "Manual" });
  });
});

describe("live reload timing (HLS-12)", () => {
  it("HLS-12: reloads every target duration, and after half of it when a reload changed nothing", async () => {
    const clock = new VirtualClock();
    // One segment every 4 s, target duration 2 s: every other reload sees nothing new.
    const live = new LiveHlsFixture({ window: 3, total: 6, segmentDuration: 2, initial: 3 });
    const files = live.files(0);
    files.delete(live.playlistPath);
    h = await hlsHarness(files);
    let slow = 0;
    h.server.route(live.playlistPath, {
      body: () => new TextEncoder().encode(live.playlist(slow)),
      contentType: M3U8,
    });
    peer = new HlsPeer(h.url(live.playlistPath), {
      downloader: h.dl,
      store: h.store,
      clock,
      autoAdvance: true,
    });
    await peer.start();
    const reloadsAt: number[] = [];
    h.bus.subscribe((e) => {
      if (e.event.type === "LiveReload") reloadsAt.push(clock.now());
    });
    for (let t = 0; t < 6_000; t += 500) {
      slow = Math.floor((clock.now() + 500) / 4_000) * 2_000; // the producer runs at half speed
      const before = reloadsAt.length;
      await clock.advance(500);
      const due = h.of("LiveReload").length;
      await until(() => h!.of("LiveReload").length >= due && reloadsAt.length >= before, "settle");
      await until(() => h!.dl.inFlight === 0, "idle");
    }
    const changed = h.of("LiveReload").map((e) => e.changed);
    expect(reloadsAt[0]).toBe(2_000);
    // After an unchanged reload the next one comes half a target duration (1 s) later.
    const i = changed.indexOf(false);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(reloadsAt[i + 1]! - reloadsAt[i]!).toBe(1_000);
    const j = changed.indexOf(true);
    expect(reloadsAt[j + 1]! - reloadsAt[j]!).toBe(2_000);
  });
});

describe("dispose (CORE-4)", () => {
  it("CORE-4 HLS-7: dispose cancels in-flight fetches, stops timers and unregisters", async () => {
    const clock = new VirtualClock();
    const live = new LiveHlsFixture({ window: 3, total: 20, segmentDuration: 2 });
    h = await hlsHarness(live.files(0));
    for (let s = 0; s < 20; s++)
      h.server.setFaults(live.segmentPath(s), { stallBeforeHeadersMs: 60_000 });
    peer = new HlsPeer(h.url(live.playlistPath), { downloader: h.dl, store: h.store, clock });
    await peer.start();
    await until(() => h!.dl.inFlight > 0, "in flight");
    expect(clock.pendingTimers).toBe(1); // the live reload
    peer.dispose();
    await until(() => h!.dl.inFlight === 0, "cancelled");
    expect(clock.pendingTimers).toBe(0);
    expect(h.dl.snapshot().peers).toBe(0);
    expect(h.of("RequestCancelled").length).toBeGreaterThan(0);
    await expect(peer.whenComplete()).rejects.toThrow(/disposed/);
  });
});

describe("peer priority (DL-2, DL-6)", () => {
  it("HLS-6 DL-6: setPriority re-slots the peer's queued fetches (PriorityChanged)", async () => {
    const fx = makeHlsFixture({ segments: 6, bandwidths: [64_000], segmentSize: () => 1_000 });
    h = await hlsHarness(fx);
    for (let i = 0; i < 6; i++)
      h.server.setFaults(`/hls/v0/seg${i}.ts`, { stallBeforeHeadersMs: 60_000 });
    peer = new HlsPeer(h.url(fx.entryPath), { downloader: h.dl, store: h.store, priority: "low" });
    await peer.start();
    await until(() => h!.dl.inFlight >= 5, "in flight");
    peer.setPriority("high");
    await until(() => h!.of("PriorityChanged").length > 0, "priority change");
    expect(h.of("PriorityChanged")[0]).toMatchObject({ to: "high" });
  });
});
