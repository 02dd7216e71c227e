/** Run the real `plectrum` bin as a child process (what a user types). */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const BIN = join(REPO, "bin/plectrum.js");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `plectrum ...args` to completion. */
export function plectrum(args: readonly string[], options: { cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.once("error", reject);
    child.once("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** A long-running `plectrum ...args` (e.g. `serve`); resolves once stdout matches `ready`. */
export async function plectrumBackground(
  args: readonly string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray; stop(): Promise<CliRun> }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const match = await new Promise<RegExpMatchArray>((resolvePromise, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
      const m = stdout.match(ready);
      if (m) resolvePromise(m);
    });
    child.once("close", (code) =>
      reject(new Error(`plectrum exited (${code}) before ready: ${stderr}`)),
    );
  });
  return {
    child,
    match,
    stop: () =>
      new Promise<CliRun>((resolvePromise) => {
        if (child.exitCode !== null) {
          resolvePromise({ code: child.exitCode, stdout, stderr });
          return;
        }
        child.once("close", (code) => resolvePromise({ code, stdout, stderr }));
        child.kill("SIGINT");
      }),
  };
}
