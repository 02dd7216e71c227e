import { describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/exit-codes.js";
import { isLoopback } from "../../src/cli/proxy/access.js";
import { rewritePlaylist } from "../../src/cli/proxy/rewrite.js";
import { entryUrl, proxyUrl, targetOf } from "../../src/cli/proxy/url-scheme.js";

const ORIGIN = "http://127.0.0.1:9000";
const px = (u: string) => proxyUrl(ORIGIN, u);

describe("proxy URL scheme", () => {
  it("CLI-2: a rewritten URL and the entry URL both route back to the exact upstream URL", () => {
    const target = "https://cdn.example.test/a b/seg 1.ts?sig=x&y=%2F#frag";
    const routed = targetOf(new URL(px(target)).pathname);
    expect(routed).toBe(new URL(target.replace("#frag", "")).href);
    const entry = new URL(entryUrl(ORIGIN, target));
    expect(targetOf(entry.pathname + entry.search)).toBe(routed);
    // the upstream file name (and so its extension) is kept for players
    expect(new URL(px("http://h.test/v0/seg001.m4s?x=1")).pathname.endsWith("/seg001.m4s")).toBe(
      true,
    );
  });

  it("CLI-2: non-http(s) targets are refused with a typed error; other paths are not routes", () => {
    for (const bad of [
      "file:///etc/passwd",
      "ftp://h.test/x",
      "javascript:alert(1)",
      "not a url",
    ]) {
      expect(() => targetOf(`/proxy?url=${encodeURIComponent(bad)}`)).toThrow(CliError);
    }
    expect(() => targetOf(new URL(px("file:///etc/passwd")).pathname)).toThrow(/only http\(s\)/);
    expect(targetOf("/favicon.ico")).toBeUndefined();
    expect(() => targetOf("/proxy")).toThrow(CliError);
  });

  it("CLI-2: only loopback client addresses count as local", () => {
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("127.8.9.10")).toBe(true);
    expect(isLoopback("::1")).toBe(true);
    expect(isLoopback("::ffff:127.0.0.1")).toBe(true);
    expect(isLoopback("10.0.0.5")).toBe(false);
    expect(isLoopback("::ffff:192.168.1.2")).toBe(false);
    expect(isLoopback("128.0.0.1")).toBe(false);
    expect(isLoopback(undefined)).toBe(false);
  });
});

describe("playlist rewriting", () => {
  it("CLI-2: every URI of a master playlist goes through the proxy, other lines are kept", () => {
    const master = [
      "#EXTM3U",
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="en",URI="audio/en.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=70400,CODECS="mp4a.40.2",AUDIO="a"',
      "v0/index.m3u8",
      '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1000,URI="iframe.m3u8"',
      "",
    ].join("\n");
    const r = rewritePlaylist(master, "http://o.test/hls/master.m3u8", px);
    expect(r.master).toBe(true);
    expect(r.segments).toEqual([]);
    const lines = r.text.split("\n");
    expect(lines[0]).toBe("#EXTM3U");
    expect(lines[1]).toBe(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="en",URI="${px("http://o.test/hls/audio/en.m3u8")}"`,
    );
    expect(lines[2]).toBe('#EXT-X-STREAM-INF:BANDWIDTH=70400,CODECS="mp4a.40.2",AUDIO="a"');
    expect(lines[3]).toBe(px("http://o.test/hls/v0/index.m3u8"));
    expect(lines[4]).toContain(px("http://o.test/hls/iframe.m3u8"));
    expect(r.text).not.toMatch(/\nv0\/index/);
  });

  it("CLI-2: media playlists rewrite segments, maps and keys; byte ranges are tracked for prefetch", () => {
    const media = [
      "#EXTM3U",
      '#EXT-X-KEY:METHOD=AES-128,URI="../k.key",IV=0x01',
      '#EXT-X-MAP:URI="init.mp4",BYTERANGE="100@0"',
      "#EXTINF:4,",
      "#EXT-X-BYTERANGE:500@100",
      "all.mp4",
      "#EXTINF:4,",
      "#EXT-X-BYTERANGE:300",
      "all.mp4",
      "#EXTINF:4,",
      "https://other.test/abs.ts",
      '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key-id"',
      "#EXT-X-ENDLIST",
    ].join("\r\n");
    const r = rewritePlaylist(media, "http://o.test/a/v0/index.m3u8", px);
    expect(r.master).toBe(false);
    expect(r.segments).toEqual([
      { url: "http://o.test/a/v0/all.mp4", range: { start: 100, end: 600 } },
      { url: "http://o.test/a/v0/all.mp4", range: { start: 600, end: 900 } },
      { url: "https://other.test/abs.ts" },
    ]);
    expect(r.text).toContain(`URI="${px("http://o.test/a/k.key")}"`);
    expect(r.text).toContain(`URI="${px("http://o.test/a/v0/init.mp4")}",BYTERANGE="100@0"`);
    expect(r.text).toContain('URI="skd://key-id"');
    expect(r.text).toContain("#EXT-X-BYTERANGE:500@100");
    expect(r.text.split("\n").filter((l) => l.startsWith(ORIGIN))).toHaveLength(3);
  });
});
