/** Running third-party programs (nginx, ffmpeg, ffprobe) from e2e tests and benches. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Run `cmd args` to completion; rejects with stderr in the message on a non-zero exit. */
export async function run(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileP(cmd, [...args], {
      cwd: options.cwd,
      maxBuffer: 64 * 1024 * 1024,
      encoding: "utf8",
    });
    return { stdout, stderr };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** True when `cmd` is on PATH. */
export async function hasCommand(cmd: string): Promise<boolean> {
  try {
    await execFileP("sh", ["-c", `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}
