import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseNdjson } from "../../src/events/ndjson.js";
import { plectrum } from "./support/cli.js";
import { decodedDuration, probe } from "./support/ffprobe.js";
import { generateHls, type HlsFixture } from "./support/fixtures.js";
import { type Nginx, startNginx } from "./support/nginx.js";

const DURATION = 20;

describe("plectrum get <HLS> from nginx, checked by ffprobe", () => {
  let root: string;
  let work: string;
  let nginx: Nginx;
  const fx = new Map<string, HlsFixture>();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "plectrum-e2e-www-"));
    work = await mkdtemp(join(tmpdir(), "plectrum-e2e-work-"));
    for (const f of await Promise.all(
      (["fmp4", "ts", "single", "aes"] as const).map((k) =>
        generateHls(root, k, k, { duration: DURATION, bitrates: ["64k", "128k"], segment: 4 }),
      ),
    )) {
      fx.set(f.kind, f);
    }
    nginx = await startNginx(root);
  });
  afterAll(async () => {
    await nginx?.stop();
    await rm(root, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  const cases = [
    ["fmp4", "HLS-3: fMP4 with EXT-X-MAP init", "mov,mp4,m4a,3gp,3g2,mj2"],
    ["ts", "HLS-2: MPEG-TS multi-variant", "mpegts"],
    ["single", "HLS-3: byte-range single file (EXT-X-BYTERANGE)", "mpegts"],
    ["aes", "HLS-4: AES-128 encrypted TS, decrypted", "mpegts"],
  ] as const;

  for (const [kind, what, format] of cases) {
    it(`CLI-1, HLS-13, ${what}: the concatenated output has the stream's duration and codec`, async () => {
      const f = fx.get(kind)!;
      const out = join(work, `${kind}.out`);
      const events = join(work, `${kind}.ndjson`);
      const r = await plectrum([
        "get",
        `${nginx.origin}/${f.master}`,
        "-o",
        out,
        "--variant",
        "best",
        "--cache-dir",
        join(work, "cache"),
        "--events",
        events,
        "--json",
      ]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const result = JSON.parse(r.stdout) as {
        output: string;
        kind: string;
        variants: number[];
        segments: number;
      };
      const playlist = await readFile(join(root, kind, "v1", "index.m3u8"), "utf8");
      const segments = playlist.split("\n").filter((l) => l.startsWith("#EXTINF")).length;
      expect(result).toMatchObject({ output: out, kind: "hls", variants: [1], segments });
      const p = await probe(out);
      expect(p.audioCodec).toBe("aac");
      expect(p.formatName).toBe(format);
      expect(Math.abs(p.duration - DURATION)).toBeLessThan(0.5);
      expect(Math.abs((await decodedDuration(out)) - DURATION)).toBeLessThan(0.5);
      // --events: every engine event as NDJSON, including the segment loads.
      const env = parseNdjson(await readFile(events, "utf8"));
      expect(
        env.filter((e) => e.event.domain === "hls" && e.event.type === "SegmentLoaded"),
      ).toHaveLength(segments);
    });
  }

  it("CLI-1, HLS-13: -o dir/ writes a playable local copy that ffmpeg reads with the network off", async () => {
    const f = fx.get("aes")!;
    const dir = join(work, "copy/");
    const r = await plectrum([
      "get",
      `${nginx.origin}/${f.master}`,
      "-o",
      dir,
      "--variant",
      "0",
      "--cache-dir",
      join(work, "cache"),
      "--quiet",
    ]);
    expect(r.code).toBe(0);
    const files = await readdir(dir);
    expect(files).toContain("index.m3u8");
    expect(files.some((n) => n.endsWith(".key"))).toBe(false); // keys removed, segments decrypted
    const playlist = await readFile(join(dir, "index.m3u8"), "utf8");
    expect(playlist).not.toContain("EXT-X-KEY");
    expect(playlist).not.toContain("http");
    const p = await probe(join(dir, "index.m3u8"));
    expect(p.audioCodec).toBe("aac");
    expect(Math.abs(p.duration - DURATION)).toBeLessThan(0.5);
  });

  it("CLI-1, CLI-5: a missing stream fails with one line naming the URL and exit code 4", async () => {
    const url = `${nginx.origin}/nope/master.m3u8`;
    const r = await plectrum(["get", url, "--cache-dir", join(work, "cache")]);
    expect(r.code).toBe(4);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(url);
    expect(lines[0]).toContain("try:");
    expect(r.stderr).not.toContain("    at ");
  });
});
