/** STORE-3 [+] / STORE-5: a writer SIGKILLed at several points resumes from what is on disk. */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { DiskStore } from "../../src/store/disk-store.js";
import { tempDir } from "./helpers.js";

const CHILD = fileURLToPath(new URL("./fixtures/resume-child.ts", import.meta.url));
const URL_ = "http://h.test/movie.bin";
const TOTAL = 512 * 1024;

/** Run a child; SIGKILL it after `killAfter` writes (or let it finish). Returns its resume count. */
function run(
  root: string,
  killAfter: number | undefined,
): Promise<{ resumed: number; done: boolean }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ["--import", "tsx", CHILD, root, URL_, String(TOTAL)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let buf = "";
    let writes = 0;
    let resumed = -1;
    let done = false;
    c.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith("resumed ")) resumed = Number(line.slice(8));
        else if (line === "done") done = true;
        else if (line === "w" && ++writes === killAfter) c.kill("SIGKILL");
        nl = buf.indexOf("\n");
      }
    });
    c.on("exit", (code, signal) => {
      if (code !== 0 && signal !== "SIGKILL") reject(new Error(`child exited ${code}`));
      else resolve({ resumed, done });
    });
  });
}

it("STORE-3 STORE-5: SIGKILLed writers resume from checkpointed bytes; the result is byte-exact with no stray files", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const runs = [];
    for (const k of [15, 40, 70]) runs.push(await run(dir, k));
    const last = await run(dir, undefined);
    expect(last.done).toBe(true);
    expect(runs[0]!.resumed).toBe(0);
    // later runs found bytes from earlier ones instead of starting over
    expect(runs.slice(1).reduce((n, r) => n + r.resumed, 0) + last.resumed).toBeGreaterThan(0);
    const store = await DiskStore.open({ root: dir });
    const r = await (await store.asset(URL_)).resource(URL_);
    expect(r.state()).toBe("committed");
    const bytes = readFileSync(r.path!);
    expect(bytes.length).toBe(TOTAL);
    let bad = -1;
    for (let i = 0; i < TOTAL && bad < 0; i++)
      if (bytes[i] !== ((i * 7 + (i >> 8)) & 0xff)) bad = i;
    expect(bad).toBe(-1);
    expect(existsSync(`${r.path}.part`)).toBe(false);
    expect(existsSync(`${r.path}.lock`)).toBe(false);
    expect((await store.verify()).problems).toEqual([]);
    await store.close();
  } finally {
    await cleanup();
  }
});
