import { afterEach, describe, expect, it } from "vitest";
import { isHlsContentType } from "../../src/file/index.js";
import { type HlsByteSource, isHlsUrl, openHls } from "../../src/hls/index.js";
import { createResource, open } from "../../src/resource/index.js";
import { initPlain, M3U8, makeHlsFixture } from "../support/hls-fixtures.js";
import { type HlsHarness, hlsHarness } from "../support/hls-harness.js";

let h: HlsHarness | undefined;
let src: HlsByteSource | undefined;
afterEach(async () => {
  await src?.close();
  src = undefined;
  await h?.close();
  h = undefined;
});

const cat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

describe("HLS byte view (RES-1, RES-3)", () => {
  it("RES-1: HLS is chosen for .m3u8 URLs (and, with file/, HLS content-types)", () => {
    expect(isHlsUrl("http://h/a/master.m3u8?token=x#t")).toBe(true);
    expect(isHlsUrl("http://h/a/master.M3U8")).toBe(true);
    expect(isHlsUrl("http://h/a/file.mp3")).toBe(false);
    expect(isHlsUrl("not a url")).toBe(false);
    expect(isHlsContentType("application/vnd.apple.mpegurl; charset=utf-8")).toBe(true);
    expect(isHlsContentType("audio/x-mpegURL")).toBe(true);
    expect(isHlsContentType("audio/mpeg")).toBe(false);
    expect(isHlsContentType(undefined)).toBe(false);
  });

  it("RES-3 RES-2 HLS-11: reading streams init + segments in order; a variant change is a notice at a boundary with the new init, never spliced bytes", async () => {
    const fx = makeHlsFixture({
      segments: 6,
      bandwidths: [64_000, 128_000],
      init: true,
      segmentSize: () => 3_000,
    });
    h = await hlsHarness(fx);
    src = await openHls(h.url(fx.entryPath), {
      downloader: h.dl,
      store: h.store,
      abr: h.abr,
      variant: 0,
      lookAheadBytes: 1,
    });
    const res = createResource(src);
    const first = new Uint8Array(64 + 2 * 3_000);
    let got = 0;
    while (got < first.length) got += await res.read(first.subarray(got));
    // The reader is in segment 2 now: switch to variant 1 (applies at the next boundary).
    const peerId = h.of("VariantsRegistered")[0]!.peerId;
    h.abr.peer(peerId).setMode({ kind: "manual", index: 1 });
    const rest: Uint8Array[] = [];
    for (;;) {
      const buf = new Uint8Array(4096);
      const n = await res.read(buf);
      if (n === 0) break;
      rest.push(buf.subarray(0, n));
    }
    const all = cat([first, ...rest]);
    const notice = src.notices[0]!;
    expect(src.notices).toHaveLength(1);
    expect(notice).toMatchObject({ from: 0, to: 1 });
    const k = notice.sequence;
    expect(k).toBeGreaterThan(2);
    const expected = cat([
      initPlain(0),
      ...fx.segmentsPlain[0]!.slice(0, k),
      initPlain(1),
      ...fx.segmentsPlain[1]!.slice(k),
    ]);
    expect(notice.offset).toBe(64 + k * 3_000);
    expect(Buffer.from(all).equals(Buffer.from(expected))).toBe(true);
    expect(src.length).toBe(expected.length);
    // HLS-6 + HLS-11: with a 1-byte window, fetching followed the reader: no segment twice.
    const segGets = h.server.requests.filter((r) => r.path.endsWith(".ts"));
    expect(segGets).toHaveLength(6);
  });
});

describe("open() routes HLS (RES-1)", () => {
  it("RES-1 RES-3: open() plays a .m3u8 URL, and a playlist recognised only by its content-type, through the HLS peer", async () => {
    const fx = makeHlsFixture({ segments: 3, bandwidths: [64_000], segmentSize: () => 1_500 });
    h = await hlsHarness(fx);
    // The same master under a path without .m3u8: only the content-type says HLS.
    h.server.route("/hls/stream", { body: fx.get("/hls/master.m3u8")!.body, contentType: M3U8 });
    for (const url of [h.url(fx.entryPath), h.url("/hls/stream")]) {
      const res = await open(url, { downloader: h.dl, store: h.store, bus: h.bus, variant: 0 });
      const chunks: Uint8Array[] = [];
      for await (const c of res.nodeReadable()) chunks.push(c as Uint8Array);
      await res.close();
      expect(Buffer.concat(chunks).equals(Buffer.from(fx.expected[0]!))).toBe(true);
    }
    expect(h.server.gets("/hls/stream")).toBeGreaterThanOrEqual(2); // probed, then loaded as HLS
  });
});
