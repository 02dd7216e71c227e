import { describe, expect, it } from "vitest";
import { flacHeader, flacSegments } from "../../src/cli/demo/flac.js";
import { startSampleServer } from "../../src/cli/demo/sample-server.js";

describe("demo sample stream", () => {
  it("CLI-4: FLAC segments split at frame boundaries; segment 0 carries the stream header", () => {
    const segs = flacSegments(8000, { channels: 1, bits: 16 }, 3, 1, 440);
    expect(segs).toHaveLength(3);
    expect(Buffer.from(segs[0]!.subarray(0, 4)).toString("latin1")).toBe("fLaC");
    const header = flacHeader(8000, 1, 0);
    expect(Buffer.from(segs[0]!.subarray(0, header.length))).toEqual(Buffer.from(header));
    for (const s of segs.slice(1)) expect([s[0], s[1]]).toEqual([0xff, 0xf8]); // frame sync
    // 8000 samples/s x 1 s = 2 frames of 4000 samples, each 2 bytes per sample + ~10 bytes framing
    expect(segs[1]!.length).toBeGreaterThan(2 * 4000 * 2);
    expect(segs[1]!.length).toBeLessThan(2 * 4000 * 2 + 40);
    expect(() => flacSegments(8000, { channels: 1, bits: 16 }, 1, 0.3, 440)).toThrow(RangeError);
    // 8 bits per sample (8 wasted): half the size
    const small = flacSegments(8000, { channels: 1, bits: 8 }, 3, 1, 440);
    expect(small[1]!.length).toBeLessThan(2 * 4000 + 40);
  });

  it("CLI-4: the sample server serves a multi-variant master and every segment on loopback, then closes", async () => {
    const srv = await startSampleServer({ segments: 2, bytesPerSecond: 0 });
    try {
      expect(srv.url.startsWith("http://127.0.0.1:")).toBe(true);
      const master = await (await fetch(srv.url)).text();
      const variants = master.split("\n").filter((l) => l.endsWith("index.m3u8"));
      expect(variants).toHaveLength(4);
      const media = await (await fetch(new URL(variants[3]!, srv.url))).text();
      const segs = media.split("\n").filter((l) => l.endsWith(".flac"));
      expect(segs).toHaveLength(2);
      const seg = await fetch(new URL(segs[0]!, new URL(variants[3]!, srv.url)));
      expect(seg.headers.get("content-type")).toBe("audio/flac");
      expect(new Uint8Array(await seg.arrayBuffer()).subarray(0, 4)).toEqual(
        new TextEncoder().encode("fLaC"),
      );
      expect((await fetch(new URL("/nope", srv.url))).status).toBe(404);
    } finally {
      await srv.close();
    }
    await expect(fetch(srv.url)).rejects.toThrow();
  });
});
