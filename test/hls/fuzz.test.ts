import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PlaylistError } from "../../src/hls/errors.js";
import { parsePlaylist } from "../../src/hls/parse.js";
import { makeHlsFixture } from "../support/hls-fixtures.js";

const URL_ = "http://127.0.0.1:9/p/index.m3u8";

/** Either a model or a PlaylistError: anything else (a crash, a raw error) fails. */
function parseOrTyped(input: string | Uint8Array): void {
  try {
    const p = parsePlaylist(URL_, input, { maxPlaylistBytes: 256 * 1024, maxSegments: 2000 });
    if (p.kind === "media") {
      for (const s of p.segments) {
        expect(Number.isFinite(s.duration) && s.duration >= 0).toBe(true);
        expect(() => new URL(s.url)).not.toThrow();
        if (s.range) expect(Number.isSafeInteger(s.range.offset + s.range.length)).toBe(true);
      }
      expect(p.segments.length).toBeLessThanOrEqual(2000);
    } else {
      expect(p.variants.length).toBeGreaterThan(0);
    }
  } catch (err) {
    if (!(err instanceof PlaylistError)) throw err;
  }
}

const TAGS = [
  "#EXTM3U",
  "#EXT-X-VERSION:7",
  "#EXT-X-TARGETDURATION:4",
  "#EXT-X-MEDIA-SEQUENCE:5",
  "#EXTINF:4.0,",
  "#EXTINF:-1,",
  "#EXTINF:NaN,",
  "#EXT-X-BYTERANGE:100@0",
  "#EXT-X-BYTERANGE:100",
  "#EXT-X-BYTERANGE:99999999999999999999@5",
  '#EXT-X-KEY:METHOD=AES-128,URI="k.bin"',
  '#EXT-X-KEY:METHOD=AES-128,URI="k.bin",IV=0x000102030405060708090a0b0c0d0e0f',
  '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://a"',
  "#EXT-X-KEY:METHOD=NONE",
  '#EXT-X-MAP:URI="init.mp4",BYTERANGE="64@0"',
  "#EXT-X-DISCONTINUITY",
  "#EXT-X-ENDLIST",
  '#EXT-X-STREAM-INF:BANDWIDTH=128000,CODECS="mp4a.40.2"',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="en",URI="a.m3u8"',
  '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="i.m3u8"',
  "seg.ts",
  "../../../../etc/passwd",
  "http://[bad",
  "javascript:alert(1)",
  "",
];

describe("playlist fuzzing (REL-3)", () => {
  it("REL-3 HLS-1: random bytes and random text never crash: a value or a PlaylistError", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 2000 }), fc.uint8Array({ maxLength: 2000 })),
        (s) => parseOrTyped(s),
      ),
      { numRuns: 400 },
    );
  });

  it("REL-3 HLS-1: random tag soups never crash: a value or a PlaylistError", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...TAGS), fc.string({ maxLength: 40 })), {
          maxLength: 60,
        }),
        (lines) => parseOrTyped(["#EXTM3U", ...lines].join("\n")),
      ),
      { numRuns: 600 },
    );
  });

  it("REL-3 HLS-1: mutated real playlists (line drops, duplicates, byte flips) never crash", () => {
    const fx = makeHlsFixture({
      init: true,
      byteRange: true,
      encryption: "explicit-iv",
      extras: true,
    });
    const seeds = [...fx.values()]
      .filter((f) => f.contentType.includes("mpegurl"))
      .map((f) => new TextDecoder().decode(f.body));
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.nat(255), fc.constantFrom("drop", "dup", "flip", "cut")), {
          maxLength: 8,
        }),
        (seed, edits) => {
          let lines = seed.split("\n");
          for (const [at, byte, op] of edits) {
            const i = at % Math.max(1, lines.length);
            const line = lines[i] ?? "";
            if (op === "drop") lines.splice(i, 1);
            else if (op === "dup") lines.splice(i, 0, line);
            else if (op === "cut") lines = lines.slice(0, i);
            else {
              const j = byte % Math.max(1, line.length);
              lines[i] = line.slice(0, j) + String.fromCharCode(byte) + line.slice(j + 1);
            }
          }
          parseOrTyped(lines.join("\n"));
        },
      ),
      { numRuns: 600 },
    );
  });

  it("REL-3 HLS-1: pathological sizes stay bounded (long lines, huge attribute lists)", () => {
    const longLine = `#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,${"x".repeat(200_000)}\na.ts\n`;
    parseOrTyped(longLine);
    const attrs = `#EXTM3U\n#EXT-X-STREAM-INF:${"A=1,".repeat(50_000)}BANDWIDTH=1\nv.m3u8\n`;
    parseOrTyped(attrs);
    const manyEntries = `#EXTM3U\n#EXT-X-TARGETDURATION:1\n${"#EXTINF:1,\na\n".repeat(2001)}`;
    expect(() =>
      parsePlaylist(URL_, manyEntries, { maxPlaylistBytes: 256 * 1024, maxSegments: 2000 }),
    ).toThrow(/more than 2000 entries/);
  });
});
