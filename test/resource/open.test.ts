import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NetError } from "../../src/core/errors.js";
import { UnsupportedResourceError } from "../../src/resource/errors.js";
import { readAll, type Stack, stack, walk } from "../file/harness.js";
import { bodyBytes } from "../support/fault-server.js";

let s: Stack;
beforeEach(async () => {
  s = await stack();
});
afterEach(async () => {
  await s.close();
});

async function collect(
  stream: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  if (stream instanceof ReadableStream) {
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  } else for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

describe("open()", () => {
  it("RES-1, FILE-1: an absolute path and a file: URL are read in place, with no store entry", async () => {
    const data = randomBytes(10_000);
    const path = join(s.dir, "local.bin");
    await writeFile(path, data);
    for (const target of [path, pathToFileURL(path).href]) {
      const res = await s.open(target);
      expect(res.length).toBe(data.length);
      expect((await readAll(res)).equals(data)).toBe(true);
    }
    expect(await walk(s.root)).toEqual([]);
    expect(s.server.requests).toHaveLength(0);
  });

  function servePlaylist(playlistPath: string, contentType?: string): Buffer {
    const seg = [bodyBytes(41, 30_000), bodyBytes(42, 20_000)];
    s.server.route("/hls/s0.ts", { body: seg[0] as Uint8Array });
    s.server.route("/hls/s1.ts", { body: seg[1] as Uint8Array });
    const text =
      "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:4.0,\ns0.ts\n#EXTINF:4.0,\ns1.ts\n#EXT-X-ENDLIST\n";
    s.server.route(playlistPath, {
      body: new TextEncoder().encode(text),
      ...(contentType ? { contentType } : {}),
    });
    return Buffer.concat(seg);
  }

  it("RES-1: a .m3u8 URL opens the HLS peer: the byte view is the segments in order", async () => {
    const media = servePlaylist("/hls/index.m3u8");
    const res = await s.open(s.server.url("/hls/index.m3u8"));
    expect((await readAll(res)).equals(media)).toBe(true);
    expect(s.server.gets("/hls/index.m3u8")).toBe(1);
  });

  it("RES-1: an HLS content-type on a plain URL is routed to HLS, leaving no progressive file behind", async () => {
    const media = servePlaylist("/hls/playlist", "application/vnd.apple.mpegurl");
    const res = await s.open(s.server.url("/hls/playlist"));
    expect((await readAll(res)).equals(media)).toBe(true);
    expect((await walk(s.root)).filter((f) => /\.part$|\.lock$/.test(f))).toEqual([]);
  });

  it("RES-1: other schemes and remote file: URLs are typed errors", async () => {
    await expect(s.open("ftp://example.invalid/x.bin")).rejects.toMatchObject({
      code: "FILE_BAD_ARGUMENT",
    });
    await expect(s.open("file://remote-host/x.bin")).rejects.toBeInstanceOf(
      UnsupportedResourceError,
    );
  });
});

describe("Resource over bytes still arriving", () => {
  const size = 600_000;
  const path = `/bytes/31/${size}/stream.bin`;

  it("RES-2: with the length unknown, a read past what arrived waits; EOF only once the end is proven", async () => {
    s.server.setFaults(path, { dripBytesPerSec: 1_500_000, headers: { "content-length": null } });
    const res = await s.open(s.server.url(path));
    expect(res.length).toBeNull();
    // Far past what has arrived: waits for the bytes rather than answering EOF.
    const buf = new Uint8Array(1000);
    expect(await res.readAt(500_000, buf)).toBe(1000);
    expect(Buffer.from(buf).equals(bodyBytes(31, size).subarray(500_000, 501_000))).toBe(true);
    // Past the real end: 0 only after the end is proven.
    expect(await res.readAt(size + 10, buf)).toBe(0);
    expect(res.length).toBe(size);
    expect(await res.waitRange(size, size + 1)).toBe("eof");
    // A read straddling the end is clamped to it.
    expect(await res.readAt(size - 10, buf)).toBe(10);
  });

  it("RES-2: the Node Readable and the web ReadableStream deliver exact bytes while they arrive", async () => {
    s.server.setFaults(path, { dripBytesPerSec: 3_000_000 });
    const url = s.server.url(path);
    const a = await s.open(url);
    const b = await s.open(url);
    const [viaNode, viaWeb] = await Promise.all([
      collect(a.nodeReadable({ start: 0, chunkSize: 50_000 })),
      collect(b.webStream({ start: 100_000, end: 400_000 })),
    ]);
    expect(viaNode.equals(bodyBytes(31, size))).toBe(true);
    expect(viaWeb.equals(bodyBytes(31, size).subarray(100_000, 400_000))).toBe(true);
    expect(s.server.gets(path)).toBe(1);
  });

  it("RES-2: an aborted wait rejects with Cancelled at once; closing a reader rejects its pending wait", async () => {
    s.server.setFaults(path, { dripBytesPerSec: 200_000 });
    const res = await s.open(s.server.url(path));
    const ac = new AbortController();
    const waiting = res.waitRange(size - 10, size, { signal: ac.signal });
    ac.abort("user");
    const err = await waiting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetError);
    expect((err as NetError).kind).toBe("Cancelled");
    const pending = res.readAt(size - 10, new Uint8Array(10)).catch((e: unknown) => e);
    await res.close();
    expect(await pending).toMatchObject({ code: "FILE_CLOSED" });
  });

  it("RES-2: bad offsets are typed errors", async () => {
    const res = await s.open(s.server.bytesUrl(32, 1000));
    await expect(res.waitRange(-1, 5)).rejects.toMatchObject({ code: "FILE_BAD_ARGUMENT" });
    await expect(res.waitRange(10, 5)).rejects.toMatchObject({ code: "FILE_BAD_ARGUMENT" });
    expect(() => res.seek(Number.NaN)).toThrow(
      expect.objectContaining({ code: "FILE_BAD_ARGUMENT" }),
    );
  });
});
