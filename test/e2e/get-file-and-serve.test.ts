import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plectrum, plectrumBackground } from "./support/cli.js";
import { decodedDuration, probe } from "./support/ffprobe.js";
import { generateHls, generateProgressive } from "./support/fixtures.js";
import { type Nginx, startNginx } from "./support/nginx.js";
import { run } from "./support/tools.js";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("progressive get and the caching proxy, against nginx with real clients", () => {
  let root: string;
  let work: string;
  let nginx: Nginx;
  let media: Buffer;
  let proxy: Awaited<ReturnType<typeof plectrumBackground>>;
  let origin: string;
  const via = (url: string) => `${origin}/proxy?url=${encodeURIComponent(url)}`;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "plectrum-e2e-www-"));
    work = await mkdtemp(join(tmpdir(), "plectrum-e2e-work-"));
    await Promise.all([
      generateProgressive(root, "tone.m4a", 20),
      generateHls(root, "ts", "ts", { duration: 20, bitrates: ["64k", "128k"], segment: 4 }),
      generateHls(root, "fmp4", "fmp4", { duration: 20, bitrates: ["64k", "128k"], segment: 4 }),
      generateHls(root, "single", "single", { duration: 20, bitrates: ["64k"], segment: 4 }),
    ]);
    media = await readFile(join(root, "tone.m4a"));
    nginx = await startNginx(root);
    proxy = await plectrumBackground(
      ["serve", "--port", "0", "--cache-dir", join(work, "proxy-cache")],
      /plectrum proxy on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    origin = proxy.match[1]!;
  });
  afterAll(async () => {
    await proxy?.stop();
    await nginx?.stop();
    await rm(root, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  it("CLI-1, FILE-1: a progressive download through nginx is byte-exact, and the second run comes from the cache", async () => {
    const url = `${nginx.origin}/tone.m4a`;
    const cache = join(work, "cache");
    const first = await plectrum([
      "get",
      url,
      "-o",
      join(work, "a.m4a"),
      "--cache-dir",
      cache,
      "--json",
    ]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      kind: "file",
      bytes: media.length,
      networkBytes: media.length,
    });
    expect(sha256(await readFile(join(work, "a.m4a")))).toBe(sha256(media));
    const second = await plectrum([
      "get",
      url,
      "-o",
      join(work, "b.m4a"),
      "--cache-dir",
      cache,
      "--json",
    ]);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ networkBytes: 0 });
    expect(sha256(await readFile(join(work, "b.m4a")))).toBe(sha256(media));
    const ls = await plectrum(["cache", "ls", "--cache-dir", cache, "--json"]);
    expect(JSON.parse(ls.stdout).assets).toHaveLength(1);
    const verify = await plectrum(["cache", "verify", "--cache-dir", cache]);
    expect(verify.code).toBe(0);
  });

  it("CLI-3: cache rm removes an asset by URL; ls shows it gone", async () => {
    const cache = join(work, "cache-rm");
    const url = `${nginx.origin}/tone.m4a`;
    expect(
      (await plectrum(["get", url, "-o", join(work, "c.m4a"), "--cache-dir", cache, "--quiet"]))
        .code,
    ).toBe(0);
    const rmRun = await plectrum(["cache", "rm", url, "--cache-dir", cache]);
    expect(rmRun.code).toBe(0);
    const ls = await plectrum(["cache", "ls", "--cache-dir", cache, "--json"]);
    expect(JSON.parse(ls.stdout).assets).toEqual([]);
  });

  it("CLI-2: ffprobe and ffmpeg play TS, fMP4 and byte-range HLS through the proxy", async () => {
    for (const kind of ["ts", "fmp4", "single"]) {
      const url = via(`${nginx.origin}/${kind}/master.m3u8`);
      const p = await probe(url);
      expect(p.audioCodec, kind).toBe("aac");
      expect(Math.abs(p.duration - 20), kind).toBeLessThan(0.5);
      expect(Math.abs((await decodedDuration(url, { map: "0:a:0" })) - 20), kind).toBeLessThan(0.5);
    }
  });

  it("CLI-2: every URI of a proxied playlist points back at the proxy", async () => {
    const text = await (await fetch(via(`${nginx.origin}/fmp4/v0/index.m3u8`))).text();
    const uris = [
      ...text.split("\n").filter((l) => l !== "" && !l.startsWith("#")),
      ...[...text.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!),
    ];
    expect(uris.length).toBeGreaterThan(5);
    for (const u of uris) expect(u.startsWith(`${origin}/r/`)).toBe(true);
    expect(text).toMatch(/\/init[^/\s"]*\.mp4"/);
  });

  it("CLI-2: Range reads through the proxy return the origin's exact bytes (ffmpeg seeks, curl ranges)", async () => {
    const url = via(`${nginx.origin}/tone.m4a`);
    const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(sha256(whole)).toBe(sha256(media));
    const r = await fetch(url, { headers: { range: "bytes=1000-1999" } });
    expect(r.status).toBe(206);
    expect(r.headers.get("content-range")).toBe(`bytes 1000-1999/${media.length}`);
    expect(Buffer.from(await r.arrayBuffer()).equals(media.subarray(1000, 2000))).toBe(true);
    const suffix = await fetch(url, { headers: { range: "bytes=-100" } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(media.subarray(media.length - 100))).toBe(
      true,
    );
    expect((await fetch(url, { headers: { range: `bytes=${media.length}-` } })).status).toBe(416);
    // ffmpeg seeking to 12 s reads from the middle of the file with a Range request.
    const { stderr } = await run("ffmpeg", [
      "-hide_banner",
      "-nostats",
      "-progress",
      "pipe:2",
      "-ss",
      "12",
      "-i",
      url,
      "-f",
      "null",
      "-",
    ]);
    const t = [...stderr.matchAll(/out_time_us=(\d+)/g)].map((m) => Number(m[1])).at(-1)!;
    expect(Math.abs(t / 1e6 - 8)).toBeLessThan(0.5);
  });

  it("CLI-2: non-http(s) targets are refused with 403 and a clear reason", async () => {
    const r = await fetch(`${origin}/proxy?url=${encodeURIComponent("file:///etc/passwd")}`);
    expect(r.status).toBe(403);
    expect(await r.text()).toContain("only http(s) URLs are allowed");
    expect((await fetch(`${origin}/`)).status).toBe(404);
  });
});
