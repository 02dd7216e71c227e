import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { plectrum } from "./support/cli.js";
import { decodedDuration, probe } from "./support/ffprobe.js";

describe("plectrum demo", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("CLI-4, CLI-1: the demo downloads the local sample stream with progress and ABR decisions; ffmpeg plays the result", async () => {
    const out = await mkdtemp(join(tmpdir(), "plectrum-e2e-demo-"));
    dirs.push(out);
    const file = join(out, "demo.flac");
    const r = await plectrum(["demo", "-o", file]);
    expect(r.code).toBe(0);
    // Without a TTY: plain progress lines on stderr, the ABR decisions among them.
    expect(r.stderr).toContain("plectrum demo: a local HLS stream, 4 variants");
    expect(r.stderr).toMatch(/^\[\d+:\d\d\] .*segments 15\/15/m);
    expect(r.stderr).toMatch(/ABR: #\d -> #\d/);
    expect(r.stdout).toContain(`Saved ${file}`);
    expect(r.stdout).toContain(`Play it: ffplay -nodisp -autoexit ${file}`);
    const p = await probe(file);
    expect(p.audioCodec).toBe("flac");
    expect(Math.abs((await decodedDuration(file)) - 30)).toBeLessThan(0.1);
  });
});
