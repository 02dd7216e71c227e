import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleServer, startSampleServer } from "../../src/cli/demo/sample-server.js";
import { BIN, REPO } from "./support/cli.js";

describe("plectrum get, interrupted", () => {
  let srv: SampleServer;
  let work: string;
  beforeAll(async () => {
    srv = await startSampleServer({ bytesPerSecond: 20_000 }); // slow: minutes for the whole stream
    work = await mkdtemp(join(tmpdir(), "plectrum-e2e-int-"));
  });
  afterAll(async () => {
    await srv.close();
    await rm(work, { recursive: true, force: true });
  });

  it("CLI-5: Ctrl-C during a download exits 130 with one line, and writes no output file", async () => {
    const out = join(work, "out.flac");
    const child = spawn(
      process.execPath,
      [BIN, "get", srv.url, "-o", out, "--cache-dir", join(work, "cache")],
      {
        cwd: REPO,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
    await new Promise<void>((resolve) => {
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        // The first plain progress line: the download is under way.
        if (/segments \d+\/15/.test(stderr)) resolve();
      });
    });
    child.kill("SIGINT");
    expect(await closed).toBe(130);
    const lines = stderr.trim().split("\n");
    expect(lines.at(-1)).toBe(
      "plectrum: interrupted; try: run the same command again: it resumes from the cache",
    );
    expect(await readdir(work)).not.toContain("out.flac");
  });
});
