/**
 * REL-2: a download killed with SIGKILL at random points and restarted resumes from what is on
 * disk and ends byte-exact; no stray `.part` or lock file survives. The child is bundled once
 * with esbuild so each restart costs a Node start, not a TypeScript compile.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiskStore } from "../../src/store/index.js";
import { bodyBytes, FaultServer, sha256 } from "../support/fault-server.js";
import { bundleDownloadChild } from "./bundle-child.js";

const SIZE = 4 * 1024 * 1024;
const ROUNDS = 20;
const SEED = 0x5eed;
const CHECKPOINT = 64 * 1024;

/** mulberry32: a small seeded PRNG, so the kill points are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

let server: FaultServer;
let work: string;
let child: string;

beforeAll(async () => {
  server = await FaultServer.start();
  work = await mkdtemp(join(tmpdir(), "plectrum-rel2-"));
  child = await bundleDownloadChild(join(work, "download-child.mjs"));
});

afterAll(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

function run(url: string, root: string): { proc: ChildProcess; exit: Promise<number | null> } {
  const proc = spawn(process.execPath, [child, url, root, String(CHECKPOINT), String(16 * 1024)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exit = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { proc, exit };
}

/**
 * Resolves once the child reports (its own `Progress` events) that at least `bytes` are
 * written to its store, or when it exits. Counted in the child, not at the server: bytes the
 * server sent may still sit in socket buffers of a child starved by a loaded machine.
 */
function wroteAtLeast(proc: ChildProcess, bytes: number, exit: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    let out = "";
    const onData = (d: Buffer): void => {
      out += d.toString();
      const lines = out.split("\n");
      out = lines.pop() ?? "";
      for (const line of lines) {
        const m = /^progress (\d+)$/.exec(line);
        if (m && Number(m[1]) >= bytes) {
          proc.stdout?.off("data", onData);
          resolve();
        }
      }
    };
    proc.stdout?.on("data", onData);
    void exit.then(() => resolve());
  });
}

/** The bytes a fresh process would find on disk: the end of the persisted prefix. */
async function persistedPrefix(root: string, url: string): Promise<number> {
  const store = await DiskStore.open({ root });
  try {
    const res = await (await store.asset(url)).resource(url);
    return res.firstGap(0)?.start ?? res.finalLength() ?? 0;
  } finally {
    await store.close();
  }
}

function rangeStart(range: string | undefined): number {
  return range === undefined ? 0 : Number(/^bytes=(\d+)-/.exec(range)?.[1] ?? Number.NaN);
}

describe("crash recovery", () => {
  it("REL-2, STORE-2, STORE-3, FILE-2, CORE-4: SIGKILLed at 20 random points, each restart resumes from what is on disk and the file ends byte-exact", async () => {
    const random = prng(SEED);
    const path = `/bytes/77/${SIZE}/track.bin`;
    const url = server.url(path);
    // Slow enough that every kill lands mid-download.
    server.setFaults(path, { dripBytesPerSec: 4 * 1024 * 1024 });
    const root = join(work, "cache");
    const onDisk: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const from = server.requests.length;
      const { proc, exit } = run(url, root);
      if (round < ROUNDS) {
        // Kill once the child wrote a seeded share of the file (1-3 checkpoints' worth) beyond
        // what the disk held at its start, so every round has something to persist.
        const share = Math.floor((0.016 + random() * 0.03) * SIZE);
        await wroteAtLeast(proc, (onDisk.at(-1) ?? 0) + share, exit);
        proc.kill("SIGKILL");
        expect(await exit).toBeNull();
      } else {
        // The child ends on its own after close(): nothing was left running (CORE-4).
        expect(await exit).toBe(0);
      }
      const gets = server.requests.slice(from).filter((r) => r.method === "GET");
      // The restart asked for exactly what the disk lacked: nothing persisted is fetched again,
      // and each round fetched less than the whole file.
      expect(rangeStart(gets[0]?.range)).toBe(onDisk.at(-1) ?? 0);
      expect(gets.reduce((n, r) => n + r.bytesServed, 0)).toBeLessThan(SIZE);
      if (round < ROUNDS) onDisk.push(await persistedPrefix(root, url));
    }
    // Progress accumulated across the kills (seeded kill points; at least a few persisted).
    expect(onDisk.at(-1)).toBeGreaterThan(0);
    for (let i = 1; i < onDisk.length; i++)
      expect(onDisk[i]).toBeGreaterThanOrEqual(onDisk[i - 1] ?? 0);

    const files = await walk(root);
    expect(files.filter((f) => /\.part$|\.lock/.test(f))).toEqual([]);
    const data = files.filter((f) => f.endsWith("track.bin"));
    expect(data).toHaveLength(1);
    expect(sha256(await readFile(data[0] as string))).toBe(sha256(bodyBytes(77, SIZE)));
  }, 60_000);
});
