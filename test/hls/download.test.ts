import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { downloadHls } from "../../src/hls/index.js";
import { encrypt, makeHlsFixture, segmentPlain, sequenceIvOf } from "../support/hls-fixtures.js";
import { type HlsHarness, hlsHarness } from "../support/hls-harness.js";

const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

let h: HlsHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("downloadHls", () => {
  it("HLS-5 HLS-6 HLS-13: a fixed variant downloads byte-exact and exports a playable copy and one file", async () => {
    const fx = makeHlsFixture({ segments: 6 });
    h = await hlsHarness(fx);
    const progress: number[] = [];
    const res = await downloadHls(h.url(fx.entryPath), {
      downloader: h.dl,
      store: h.store,
      variant: 2,
      outDir: join(h.dir, "out"),
      outFile: join(h.dir, "all.ts"),
      onProgress: (p) => progress.push(p.segmentsDone),
    });
    expect(res.variants).toEqual([2, 2, 2, 2, 2, 2]);
    expect(eq(await readFile(join(h.dir, "all.ts")), fx.expected[2]!)).toBe(true);
    const pl = await readFile(join(h.dir, "out", "index.m3u8"), "utf8");
    expect(pl).toContain("#EXT-X-ENDLIST");
    expect(pl).not.toContain("EXT-X-KEY");
    expect(pl.match(/^seg-\d+\.ts$/gm)).toHaveLength(6);
    expect(eq(await readFile(join(h.dir, "out", "seg-00003.ts")), fx.segmentsPlain[2]![3]!)).toBe(
      true,
    );
    expect(progress.at(-1)).toBe(6);
    expect(h.of("EndOfStream")).toMatchObject([{ variant: 2, segments: 6 }]);
    // HLS-5: master + 4 variant playlists fetched once each; only variant 2's segments.
    expect(h.server.gets("/hls/master.m3u8")).toBe(1);
    for (const p of fx.variantPaths) expect(h.server.gets(p)).toBe(1);
    for (const p of fx.segmentPaths[2]!) expect(h.server.gets(p)).toBe(1);
    expect(h.server.gets("/hls/v0/seg0.ts")).toBe(0);
  });
});

describe("downloadHls: encryption, init sections, byte ranges", () => {
  for (const encryption of ["explicit-iv", "sequence-iv"] as const) {
    for (const byteRange of [false, true]) {
      it(`HLS-3 HLS-4: AES-128 (${encryption}) ${byteRange ? "single-file byte ranges" : "segment files"} with init decrypt byte-exact; one key fetch`, async () => {
        const fx = makeHlsFixture({
          segments: 5,
          bandwidths: [64_000, 128_000],
          init: true,
          encryptInit: encryption === "explicit-iv",
          byteRange,
          encryption,
          mediaSequence: 9,
        });
        h = await hlsHarness(fx);
        const res = await downloadHls(h.url(fx.entryPath), {
          downloader: h.dl,
          store: h.store,
          variant: 1,
          outFile: join(h.dir, "all.mp4"),
        });
        expect(res.segments).toBe(5);
        expect(eq(await readFile(join(h.dir, "all.mp4")), fx.expected[1]!)).toBe(true);
        expect(h.server.gets(fx.keyPath)).toBe(1);
        if (byteRange) {
          const ranges = h.server.requestsTo("/hls/v1/all.bin").map((r) => r.range);
          expect(ranges).toHaveLength(6); // init + 5 segments, each its own range, none twice
          expect(new Set(ranges).size).toBe(6);
        }
        expect(h.of("KeyLoaded")).toHaveLength(1);
      });
    }
  }

  it("HLS-4: SAMPLE-AES is a clear Unsupported error, never passed through", async () => {
    const fx = makeHlsFixture({ segments: 2, bandwidths: [64_000], masterless: true });
    fx.text(
      "/hls/v0/index.m3u8",
      '#EXTM3U\n#EXT-X-VERSION:5\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI="k.bin"\n#EXTINF:4,\nseg0.ts\n#EXT-X-ENDLIST\n',
    );
    h = await hlsHarness(fx);
    await expect(
      downloadHls(h.url(fx.entryPath), { downloader: h.dl, store: h.store }),
    ).rejects.toThrow(/SAMPLE-AES is not supported; only AES-128 is/);
    expect(h.of("UnsupportedMethod")[0]?.method).toBe("SAMPLE-AES");
    expect(h.server.gets("/hls/v0/seg0.ts")).toBe(0);
  });
});

describe("downloadHls: caching and offline", () => {
  it("HLS-5 HLS-4: a variant not played is still parsed and checked: its unsupported encryption fails a fixed-variant download", async () => {
    const fx = makeHlsFixture({ segments: 3 });
    fx.text(
      fx.variantPaths[1]!,
      '#EXTM3U\n#EXT-X-VERSION:5\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI="k.bin"\n#EXTINF:4,\nseg0.ts\n#EXT-X-ENDLIST\n',
    );
    h = await hlsHarness(fx);
    await expect(
      downloadHls(h.url(fx.entryPath), { downloader: h.dl, store: h.store, variant: 2 }),
    ).rejects.toThrow(/SAMPLE-AES is not supported; only AES-128 is/);
    expect(h.of("UnsupportedMethod")[0]?.method).toBe("SAMPLE-AES");
    for (const p of fx.variantPaths) expect(h.server.gets(p)).toBe(1);
    expect(h.of("PlaylistLoaded").map((e) => e.url)).toContain(h.url(fx.variantPaths[1]!));
  });

  it("HLS-13 HLS-5: a fully cached stream plays with the server stopped (disk store, no network)", async () => {
    const fx = makeHlsFixture({ segments: 4, encryption: "sequence-iv", init: true });
    h = await hlsHarness(fx, { disk: true });
    const url = h.url(fx.entryPath);
    await downloadHls(url, { downloader: h.dl, store: h.store, variant: 3 });
    await h.server.close();
    await h.restart();
    const res = await downloadHls(url, {
      downloader: h.dl,
      store: h.store,
      variant: 3,
      outDir: join(h.dir, "offline"),
      outFile: join(h.dir, "offline.mp4"),
    });
    expect(res.networkBytes).toBe(0);
    expect(eq(await readFile(join(h.dir, "offline.mp4")), fx.expected[3]!)).toBe(true);
    const pl = await readFile(join(h.dir, "offline", "index.m3u8"), "utf8");
    expect(pl).toMatch(/#EXT-X-MAP:URI="init-0\.mp4"/);
    expect(pl).not.toMatch(/KEY|http/);
    expect(h.of("SegmentLoaded").filter((e) => e.cached)).toHaveLength(4);
  });

  it("HLS-5: an HTML master is rejected before caching; an invalid cached copy is refetched once", async () => {
    const fx = makeHlsFixture({ segments: 2, bandwidths: [64_000] });
    h = await hlsHarness(fx);
    const url = h.url(fx.entryPath);
    h.server.setFaults(fx.entryPath, { html: true });
    await expect(downloadHls(url, { downloader: h.dl, store: h.store })).rejects.toMatchObject({
      kind: "InvalidContentType",
    });
    const asset = await h.store.asset(url);
    expect((await asset.resource(url)).state()).toBe("absent");
    // A garbage copy in the cache: validated by parsing, refetched once, replaced.
    h.server.clearFaults();
    await (await asset.resource(url)).putWhole(new TextEncoder().encode("<html>old</html>"));
    const res = await downloadHls(url, { downloader: h.dl, store: h.store });
    expect(res.segments).toBe(2);
    expect(h.server.gets(fx.entryPath)).toBe(2);
    const cached = await (await asset.resource(url)).readWhole();
    expect(new TextDecoder().decode(cached)).toMatch(/^#EXTM3U/);
  });
});

describe("downloadHls: segment and key failures", () => {
  it("HLS-7: a 503 burst on one segment delays but never skips it", async () => {
    const fx = makeHlsFixture({ segments: 5, bandwidths: [64_000] });
    h = await hlsHarness(fx);
    // 4 attempts per round (NET-4) -> the first round exhausts, the second succeeds.
    h.server.setFaults(
      "/hls/v0/seg2.ts",
      Array.from({ length: 6 }, () => ({ status: 503 })),
    );
    const res = await downloadHls(h.url(fx.entryPath), {
      downloader: h.dl,
      store: h.store,
      outFile: join(h.dir, "all.ts"),
    });
    expect(res.segments).toBe(5);
    expect(eq(await readFile(join(h.dir, "all.ts")), fx.expected[0]!)).toBe(true);
    expect(h.of("SegmentRetry").map((e) => e.segment)).toEqual([2]);
    expect(h.server.gets("/hls/v0/seg2.ts")).toBe(7);
  });

  it("HLS-7: a 404 segment fails with a clear event and error", async () => {
    const fx = makeHlsFixture({ segments: 4, bandwidths: [64_000] });
    h = await hlsHarness(fx);
    h.server.setFaults("/hls/v0/seg1.ts", { status: 404 });
    await expect(
      downloadHls(h.url(fx.entryPath), { downloader: h.dl, store: h.store }),
    ).rejects.toThrow(/segment .*seg1\.ts/);
    const failed = h.of("SegmentFailed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ segment: 1, error: { status: 404 } });
    expect(h.events.some((e) => e.domain === "hls" && e.type === "Error")).toBe(true);
    expect(h.server.gets("/hls/v0/seg1.ts")).toBe(1);
  });

  it("HLS-13 HLS-7: a download failing after the export started leaves no partial output", async () => {
    const fx = makeHlsFixture({ segments: 8, bandwidths: [64_000] });
    h = await hlsHarness(fx);
    h.server.setFaults("/hls/v0/seg6.ts", { status: 404 });
    const outDir = join(h.dir, "out");
    const outFile = join(h.dir, "all.ts");
    await expect(
      downloadHls(h.url(fx.entryPath), { downloader: h.dl, store: h.store, outDir, outFile }),
    ).rejects.toThrow(/segment .*seg6\.ts/);
    // The output is opened before the first fetch and written as segments arrive; the failure
    // removes it again.
    expect(existsSync(outFile)).toBe(false);
    expect(await readdir(outDir)).toEqual([]);
  });

  for (const [name, plan, reason] of [
    ["wrong length", { body: "0123456789abcdefXYZ", status: 200 }, /got 19 bytes/],
    ["an HTML 200 page", { html: true }, /HTML page/],
  ] as const) {
    it(`HLS-4: a bad key (${name}) fails within a second with a clear error`, async () => {
      const fx = makeHlsFixture({ segments: 3, bandwidths: [64_000], encryption: "sequence-iv" });
      h = await hlsHarness(fx);
      if ("body" in plan) {
        h.server.route(fx.keyPath, { body: new TextEncoder().encode(plan.body) });
      } else h.server.setFaults(fx.keyPath, plan);
      const t0 = performance.now();
      await expect(
        downloadHls(h.url(fx.entryPath), { downloader: h.dl, store: h.store }),
      ).rejects.toThrow(reason);
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(h.of("KeyFailed")).toHaveLength(1);
      expect(h.server.gets("/hls/v0/seg0.ts")).toBe(0);
    });
  }

  it("HLS-4: bad padding is detected: DecryptFailed, one refetch, then the segment fails", async () => {
    const fx = makeHlsFixture({ segments: 3, bandwidths: [64_000], encryption: "sequence-iv" });
    // Segment 1 encrypted under another key: the padding check fails on every attempt.
    const wrongKey = new Uint8Array(16).fill(7);
    fx.bytes("/hls/v0/seg1.ts", encrypt(wrongKey, sequenceIvOf(1), segmentPlain(0, 1, 4000)));
    h = await hlsHarness(fx);
    await expect(
      downloadHls(h.url(fx.entryPath), { downloader: h.dl, store: h.store }),
    ).rejects.toThrow(/bad padding/);
    expect(h.of("DecryptFailed").map((e) => [e.segment, e.attempt])).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(h.server.gets("/hls/v0/seg1.ts")).toBe(2);
  });
});

describe("downloadHls: two downloads of one stream", () => {
  it("HLS-5 HLS-13 STORE-2: two concurrent downloads of the same stream over one store both end byte-exact", async () => {
    const fx = makeHlsFixture({ segments: 6, bandwidths: [64_000], encryption: "sequence-iv" });
    h = await hlsHarness(fx);
    const url = h.url(fx.entryPath);
    const [a, b] = await Promise.all(
      ["a", "b"].map((n) =>
        downloadHls(url, { downloader: h!.dl, store: h!.store, outFile: join(h!.dir, `${n}.ts`) }),
      ),
    );
    expect(a?.segments).toBe(6);
    expect(b?.segments).toBe(6);
    for (const n of ["a", "b"]) {
      expect(eq(await readFile(join(h.dir, `${n}.ts`)), fx.expected[0]!)).toBe(true);
    }
  });
});
