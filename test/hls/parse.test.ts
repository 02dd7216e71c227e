import { describe, expect, it, vi } from "vitest";
import { PlaylistError } from "../../src/hls/errors.js";
import type { MasterPlaylist, MediaPlaylist } from "../../src/hls/model.js";
import { parsePlaylist } from "../../src/hls/parse.js";
import { explicitIv, makeHlsFixture } from "../support/hls-fixtures.js";

const BASE = "http://127.0.0.1:9/hls";

function text(fx: Map<string, { body: Uint8Array }>, path: string): string {
  return new TextDecoder().decode(fx.get(path)?.body);
}

function media(input: string, url = `${BASE}/v0/index.m3u8`): MediaPlaylist {
  const p = parsePlaylist(url, input);
  if (p.kind !== "media") throw new Error("expected media");
  return p;
}

describe("playlists", () => {
  it("HLS-2: master variants with BANDWIDTH, AVERAGE-BANDWIDTH, CODECS; audio renditions; I-frame playlists excluded", () => {
    const fx = makeHlsFixture({ extras: true });
    const p = parsePlaylist(`${BASE}/master.m3u8`, text(fx, "/hls/master.m3u8")) as MasterPlaylist;
    expect(p.kind).toBe("master");
    expect(p.variants.map((v) => v.bandwidth)).toEqual([64_000, 128_000, 256_000, 320_000]);
    expect(p.variants[1]).toMatchObject({
      index: 1,
      url: `${BASE}/v1/index.m3u8`,
      averageBandwidth: 115_200,
      codecs: "mp4a.40.2",
      audioGroup: "aud",
    });
    expect(p.variants.some((v) => v.url.includes("iframes"))).toBe(false);
    expect(p.audio.map((a) => [a.groupId, a.name, a.language, a.isDefault])).toEqual([
      ["aud", "English", "en", true],
      ["aud", "Deutsch", "de", false],
    ]);
    expect(p.audio[0]?.url).toBe(`${BASE}/v0/index.m3u8`);
  });

  it("HLS-1: relative URIs resolve against the final playlist URL (after redirects)", () => {
    const fx = makeHlsFixture({ encryption: "sequence-iv", init: true });
    const redirected = "https://cdn.example.test/a/b/v2/index.m3u8?token=1";
    const p = media(text(fx, "/hls/v2/index.m3u8"), redirected);
    expect(p.segments[0]?.url).toBe("https://cdn.example.test/a/b/v2/seg0.ts");
    expect(p.segments[0]?.key?.uri).toBe("https://cdn.example.test/a/b/key.bin");
    expect(p.segments[0]?.init?.url).toBe("https://cdn.example.test/a/b/v2/init.mp4");
  });

  it("HLS-3: EXTINF, media sequence, start times, discontinuities, ENDLIST, init section", () => {
    const fx = makeHlsFixture({
      init: true,
      mediaSequence: 40,
      discontinuityAt: 3,
      segmentDuration: 2.5,
    });
    const p = media(text(fx, "/hls/v0/index.m3u8"));
    expect(p.endList).toBe(true);
    expect(p.mediaSequence).toBe(40);
    expect(p.segments.map((s) => s.sequence)).toEqual([40, 41, 42, 43, 44, 45]);
    expect(p.segments.map((s) => s.start)).toEqual([0, 2.5, 5, 7.5, 10, 12.5]);
    expect(p.totalDuration).toBe(15);
    expect(p.segments.map((s) => s.discontinuity)).toEqual([
      false,
      false,
      false,
      true,
      false,
      false,
    ]);
    expect(p.segments[4]?.discontinuitySequence).toBe(1);
    expect(p.segments.every((s) => s.init?.url === `${BASE}/v0/init.mp4`)).toBe(true);
    expect(p.segments[0]?.init).toBe(p.segments[5]?.init);
  });

  it("HLS-3: EXT-X-BYTERANGE offsets honoured, implicit offset = previous end; EXT-X-MAP byte range", () => {
    const fx = makeHlsFixture({ byteRange: true, init: true, segmentSize: (_v, i) => 100 + i });
    const p = media(text(fx, "/hls/v0/index.m3u8"));
    expect(p.segments[0]?.init?.range).toEqual({ offset: 0, length: 64 });
    let off = 64;
    for (const s of p.segments) {
      expect(s.url).toBe(`${BASE}/v0/all.bin`);
      expect(s.range).toEqual({ offset: off, length: 100 + s.index });
      off += 100 + s.index;
    }
  });

  it("HLS-4: keys with explicit IV and without (sequence IV chosen later); NONE clears", () => {
    const fx = makeHlsFixture({ encryption: "explicit-iv" });
    const p = media(text(fx, "/hls/v1/index.m3u8"));
    expect(p.segments[0]?.key?.iv).toEqual(explicitIv(1));
    const q = media(
      '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:METHOD=AES-128,URI="k"\n#EXTINF:4,\na.ts\n#EXT-X-KEY:METHOD=NONE\n#EXTINF:4,\nb.ts\n#EXT-X-ENDLIST\n',
    );
    expect(q.segments[0]?.key).toEqual({ method: "AES-128", uri: `${BASE}/v0/k`, iv: null });
    expect(q.segments[1]?.key).toBeNull();
  });

  it("HLS-4: SAMPLE-AES and key formats other than identity are recorded as unsupported, never passed through", () => {
    const p = media(
      '#EXTM3U\n#EXT-X-VERSION:5\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://x",KEYFORMAT="com.apple.streamingkeydelivery"\n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n',
    );
    expect(p.unsupportedKeys).toEqual([
      { method: "SAMPLE-AES", firstSegment: 0, keyFormat: "com.apple.streamingkeydelivery" },
    ]);
    expect(p.segments[0]?.key).toBeNull();
  });

  it("HLS-2: a media playlist opened directly parses as media; a live one has no ENDLIST", () => {
    const p = media(
      "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:2,\ns7.ts\n",
    );
    expect(p.endList).toBe(false);
    expect(p.segments[0]?.sequence).toBe(7);
  });

  it("HLS-1: lenient on MUST-violations real packagers make, with a warning", () => {
    const p = media("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:9.7,\na.ts\n#EXT-X-ENDLIST\n");
    expect(p.segments[0]?.duration).toBe(9.7);
    expect(p.warnings.join()).toMatch(/target duration/i);
  });
});

describe("playlist errors", () => {
  const cases: [string, string, RegExp, number | null][] = [
    ["HTML page", "<!DOCTYPE html><html><body>login</body></html>", /HTML/, 1],
    ["no header", "\n\n#EXTINF:4,\na.ts\n", /#EXTM3U/, 3],
    ["empty", "", /#EXTM3U/, 1],
    ["bad URI", "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nhttp://[::1\n", /malformed/, 4],
    [
      "foreign scheme",
      "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nfile:///etc/passwd\n",
      /scheme file:/,
      4,
    ],
    [
      "variant without bandwidth",
      '#EXTM3U\n#EXT-X-STREAM-INF:CODECS="a"\nv.m3u8\n',
      /Param Check/,
      null,
    ],
    [
      "bad IV",
      '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:METHOD=AES-128,URI="k",IV=0x0102\n#EXTINF:4,\na.ts\n',
      /IV must be a 128-bit/,
      null,
    ],
  ];
  for (const [name, input, reason, line] of cases) {
    it(`HLS-1: ${name} -> PlaylistError with line and reason`, () => {
      let err: unknown;
      try {
        parsePlaylist(`${BASE}/x.m3u8`, input);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PlaylistError);
      const pe = err as PlaylistError;
      expect(pe.reason).toMatch(reason);
      expect(pe.line).toBe(line);
      expect(pe.url).toBe(`${BASE}/x.m3u8`);
    });
  }

  it("HLS-1: hls-parser throwing on a malformed playlist surfaces as PlaylistError, silently", () => {
    const spy = vi.spyOn(console, "error");
    // A URI line with no EXTINF before it: the parser itself throws.
    const bad = "#EXTM3U\n#EXT-X-TARGETDURATION:4\na.ts\n";
    expect(() => parsePlaylist(`${BASE}/x.m3u8`, bad)).toThrow(PlaylistError);
    try {
      parsePlaylist(`${BASE}/x.m3u8`, bad);
    } catch (e) {
      expect((e as PlaylistError).cause).toBeInstanceOf(Error);
      expect((e as PlaylistError).cause).not.toBeInstanceOf(PlaylistError);
      expect((e as PlaylistError).reason).toMatch(/URI line is not preceded/);
    }
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it("HLS-1: limits — over 16 MiB and over 200 000 segments are refused before parsing", () => {
    const big = new Uint8Array(16 * 1024 * 1024 + 1).fill(0x23);
    expect(() => parsePlaylist(`${BASE}/x.m3u8`, big)).toThrow(/over the 16777216-byte limit/);
    const many = `#EXTM3U\n#EXT-X-TARGETDURATION:1\n${"#EXTINF:1,\na\n".repeat(200_001)}`;
    expect(() => parsePlaylist(`${BASE}/x.m3u8`, many)).toThrow(/more than 200000 entries/);
    const small = `#EXTM3U\n#EXT-X-TARGETDURATION:1\n${"#EXTINF:1,\na\n".repeat(5)}`;
    expect(() =>
      parsePlaylist(`${BASE}/x.m3u8`, small, { maxPlaylistBytes: 1 << 20, maxSegments: 4 }),
    ).toThrow(PlaylistError);
  });
});
