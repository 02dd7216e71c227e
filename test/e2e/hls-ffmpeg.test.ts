/**
 * HLS against real packager output: ffmpeg-generated streams (fMP4 with a byte-ranged init,
 * MPEG-TS, single-file byte ranges, AES-128) served by nginx, downloaded through the public
 * API, checked by ffprobe/ffmpeg decode and, where ffmpeg's own bytes are plain, by hash.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAbrController } from "../../src/abr/index.js";
import { Downloader } from "../../src/dl/index.js";
import { downloadHls } from "../../src/hls/index.js";
import { createHttpClient } from "../../src/net/index.js";
import { DiskStore } from "../../src/store/index.js";
import { decodedDuration, probe } from "./support/ffprobe.js";
import { generateHls, type HlsKind } from "./support/fixtures.js";
import { type Nginx, startNginx } from "./support/nginx.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("HLS: ffmpeg streams through the public API", () => {
  let root: string;
  let nginx: Nginx;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "plectrum-hls-e2e-"));
    for (const kind of ["fmp4", "ts", "single", "aes"] as const)
      await generateHls(root, kind, kind);
    nginx = await startNginx(root);
  });
  afterAll(async () => {
    await nginx?.stop();
    await rm(root, { recursive: true, force: true });
  });

  for (const kind of ["fmp4", "ts", "single", "aes"] as HlsKind[]) {
    it(`HLS-1 HLS-3 HLS-4 HLS-5 HLS-13: ${kind} downloads, exports, and decodes for the full duration`, async () => {
      const abr = createAbrController();
      const http = createHttpClient();
      const dl = new Downloader({ http, abr });
      const store = await DiskStore.open({ root: join(root, `cache-${kind}`) });
      const ext = kind === "fmp4" ? "mp4" : "ts";
      const out = join(root, `out-${kind}`);
      try {
        const r = await downloadHls(`${nginx.origin}/${kind}/master.m3u8`, {
          downloader: dl,
          store,
          variant: 1,
          outDir: out,
          outFile: `${out}.${ext}`,
        });
        expect(r.variants.every((v) => v === 1)).toBe(true);
        const p = await probe(`${out}.${ext}`);
        expect(p.audioCodec).toBe("aac");
        expect(p.duration).toBeGreaterThan(19.5);
        expect(
          await decodedDuration(join(out, "index.m3u8"), {
            inputArgs: ["-allowed_extensions", "ALL"],
          }),
        ).toBeGreaterThan(19.5);
        if (kind === "ts") {
          // Plain segments: our concatenation is ffmpeg's files, byte for byte.
          const dir = join(root, kind, "v1");
          const segs = (await readdir(dir)).filter((f) => f.endsWith(".ts")).sort();
          const theirs = Buffer.concat(await Promise.all(segs.map((f) => readFile(join(dir, f)))));
          expect(sha(await readFile(`${out}.${ext}`))).toBe(sha(theirs));
        }
      } finally {
        await dl.close();
        await http.close();
        await store.close();
      }
    });
  }
});
