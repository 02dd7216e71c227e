/**
 * The live progress line through a real pseudo-terminal: util-linux `script` (essential on
 * Debian) runs the CLI on a pty, so stderr.isTTY is true, as for a user at a terminal.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type SampleServer, startSampleServer } from "../../src/cli/demo/sample-server.js";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const MAIN = join(REPO, "src/cli/main.ts");

function quote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** Run `plectrum ...args`, on a 40x160 pty when `tty`, else with piped stderr; all output. */
function run(args: string[], tty: boolean): Promise<{ code: number | null; out: string }> {
  const cmd = [process.execPath, "--import", "tsx", MAIN, ...args].map(quote).join(" ");
  const [file, argv] = tty
    ? ["script", ["-qfec", `stty rows 40 cols 160; exec ${cmd}`, "/dev/null"]]
    : ["sh", ["-c", `exec ${cmd} 2>&1`]];
  return new Promise((res, rej) => {
    const child = spawn(file as string, argv as string[], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString("utf8");
    });
    child.once("error", rej);
    child.once("close", (code) => res({ code, out }));
  });
}

const ESC = "\u001b";
/** log-update redraws by erasing the previous line(s) and moving the cursor up. */
const ERASE_LINE = `${ESC}[2K`;
const CURSOR_UP = `${ESC}[1A`;
/** Any control sequence (ESC [ params letter), stripped to read a frame's text. */
const CSI = new RegExp(`${ESC}\\[[?0-9;]*[A-Za-z]`, "g");

describe("CLI progress on a terminal", () => {
  const dirs: string[] = [];
  let server: SampleServer | undefined;
  afterAll(async () => {
    await server?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("CLI-1: on a TTY the progress line is redrawn in place with bytes, rate, segments and variant; piped, it degrades to plain lines", async () => {
    // 15 segments paced at 100 kB/s: ~2 s of download, many 100 ms redraws.
    server = await startSampleServer({ bytesPerSecond: 100_000 });
    const work = await mkdtemp(join(tmpdir(), "plectrum-tty-"));
    dirs.push(work);
    const get = (name: string) => [
      "get",
      server!.url,
      "--variant",
      "1",
      "--cache-dir",
      join(work, `cache-${name}`),
      "-o",
      join(work, `${name}.flac`),
    ];
    const [tty, piped] = await Promise.all([run(get("tty"), true), run(get("piped"), false)]);

    expect(tty.code).toBe(0);
    expect(tty.out).toContain(ERASE_LINE);
    expect(tty.out).toContain(CURSOR_UP);
    // Several frames, each with bytes, a rate, segments done/total and the variant.
    const frames = tty.out
      .split(ERASE_LINE)
      .filter((f) => /segments \d+\/15/.test(f))
      .map((f) => f.replace(CSI, ""));
    expect(frames.length).toBeGreaterThanOrEqual(3);
    for (const f of frames) {
      expect(f).toMatch(/\d+(\.\d)? (B|KiB|MiB)/);
      expect(f).toMatch(/\/s {2}ETA /);
    }
    // The variant shows once the stream has started; the last frame is the finished state.
    expect(frames.filter((f) => /variant #1 /.test(f)).length).toBeGreaterThanOrEqual(2);
    expect(frames.at(-1)).toMatch(/segments 15\/15 {2}variant #1 /);
    const done = frames.map((f) => Number(/segments (\d+)\/15/.exec(f)?.[1]));
    expect(new Set(done).size).toBeGreaterThan(1); // it moved while redrawn in place
    // No timestamped plain lines on the terminal.
    expect(tty.out).not.toMatch(/^\[\d+:\d\d\] /m);
    expect(tty.out).toContain("Saved ");

    expect(piped.code).toBe(0);
    expect(piped.out).not.toContain(ESC);
    expect(piped.out).toMatch(/^\[\d+:\d\d\] .*segments 15\/15 {2}variant #1/m);
  });
});
