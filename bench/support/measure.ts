/**
 * Run one download tool as a child process under `/usr/bin/time -v` (when present) and report
 * wall time, throughput and peak RSS, so every competitor is measured the same way.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { stat } from "node:fs/promises";

export interface RunResult {
  tool: string;
  /** The file the tool wrote. */
  file: string;
  command: string;
  seconds: number;
  bytes: number;
  mibPerSec: number;
  peakRssMiB: number | null;
}

const TIME = "/usr/bin/time";

/**
 * Run `argv`, wait for it, and check it wrote `expectBytes` to `output` (a path, or a function
 * reading the path from the tool's stdout, for tools that choose it themselves).
 */
export async function measure(
  tool: string,
  argv: readonly string[],
  expectBytes: number,
  output: string | ((stdout: string) => string),
): Promise<RunResult> {
  const haveTime = existsSync(TIME);
  const [cmd, ...args] = haveTime ? [TIME, "-v", ...argv] : argv;
  if (cmd === undefined) throw new Error("empty command");
  const t0 = performance.now();
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.setEncoding("utf8");
      child.stderr.setEncoding("utf8");
      child.stdout.on("data", (d: string) => {
        out += d;
      });
      child.stderr.on("data", (d: string) => {
        err += d;
      });
      child.on("error", reject);
      child.on("exit", (code) => {
        if (code === 0) resolve({ stdout: out, stderr: err });
        else reject(new Error(`${tool} exited ${code}: ${err.slice(-2000)}`));
      });
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  const file = typeof output === "string" ? output : output(stdout);
  const bytes = (await stat(file)).size;
  if (bytes !== expectBytes)
    throw new Error(`${tool} wrote ${bytes} bytes, expected ${expectBytes}`);
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
  return {
    tool,
    file,
    command: argv.join(" "),
    seconds,
    bytes,
    mibPerSec: bytes / 1048576 / seconds,
    peakRssMiB: kb === undefined ? null : Number(kb) / 1024,
  };
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
    h.update(chunk as Buffer);
  return h.digest("hex");
}

/** "1G", "256M", "64k" or a plain byte count. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?)?$/i.exec(text.trim());
  if (!m) throw new Error(`bad size: ${text}`);
  const unit = (m[2] ?? "").toLowerCase()[0];
  const mult = unit === "k" ? 1024 : unit === "m" ? 1048576 : unit === "g" ? 1073741824 : 1;
  return Math.round(Number(m[1]) * mult);
}
