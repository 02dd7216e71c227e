import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { downloadHls } from "../../src/hls/index.js";
import { makeHlsFixture } from "../support/hls-fixtures.js";
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
    expect(eq(await readFile(join(h.dir, "out", "seg-00003.ts")), fx.segmentsPlain[2]![3]!)).toBe(true);
    expect(progress.at(-1)).toBe(6);
    // HLS-5: master + 4 variant playlists fetched once each; only variant 2's segments.
    expect(h.server.gets("/hls/master.m3u8")).toBe(1);
    for (const p of fx.variantPaths) expect(h.server.gets(p)).toBe(1);
    for (const p of fx.segmentPaths[2]!) expect(h.server.gets(p)).toBe(1);
    expect(h.server.gets("/hls/v0/seg0.ts")).toBe(0);
  });
});
