/**
 * Store write path vs. raw positional writes (input for BENCH-3: the store must not be the
 * bottleneck of a progressive download).
 *
 *   npx tsx bench/store/write-bench.ts [--mib 256] [--chunk-kib 64] [--dir /path]
 *
 * Both sides write the same bytes sequentially in the same chunk size; the store side goes
 * through `ResourceWriter.write` (pwrite + availability index + listeners + a checkpoint
 * every 8 MiB) and ends with `commit()` (fsync + rename + dir fsync); the raw side is a
 * FileHandle.write loop ending with one fsync.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DiskStore } from "../../src/store/disk-store.js";

const { values } = parseArgs({
  options: {
    mib: { type: "string", default: "256" },
    "chunk-kib": { type: "string", default: "64" },
    dir: { type: "string" },
  },
});
const total = Number(values.mib) * 1024 * 1024;
const chunk = new Uint8Array(Number(values["chunk-kib"]) * 1024).fill(0x5a);
const base = mkdtempSync(join(values.dir ?? tmpdir(), "plectrum-write-bench-"));

async function raw(): Promise<number> {
  const t0 = performance.now();
  const fh = await open(join(base, "raw.bin"), "w+");
  for (let off = 0; off < total; off += chunk.byteLength)
    await fh.write(chunk, 0, chunk.byteLength, off);
  await fh.sync();
  await fh.close();
  return performance.now() - t0;
}

async function viaStore(round: number): Promise<number> {
  const store = await DiskStore.open({ root: join(base, `store${round}`) });
  const r = await (await store.asset("http://bench.test/big.bin")).resource(
    "http://bench.test/big.bin",
  );
  let wakeups = 0;
  const off = r.onChange(() => {
    wakeups++;
  });
  const t0 = performance.now();
  const w = (await r.tryClaim())!;
  w.setLength(total);
  for (let pos = 0; pos < total; pos += chunk.byteLength) await w.write(pos, chunk);
  await w.commit();
  const t = performance.now() - t0;
  off();
  await store.close();
  if (wakeups < total / chunk.byteLength) throw new Error("listeners missed writes");
  return t;
}

try {
  const results: Array<[string, number]> = [];
  for (let round = 0; round < 2; round++) {
    results.push(["raw", await raw()]);
    results.push(["store", await viaStore(round)]);
  }
  const best = (name: string) => Math.min(...results.filter(([n]) => n === name).map(([, t]) => t));
  const mibps = (ms: number) => (total / 1024 / 1024 / (ms / 1000)).toFixed(0);
  console.log(
    `command: npx tsx bench/store/write-bench.ts --mib ${values.mib} --chunk-kib ${values["chunk-kib"]}`,
  );
  console.log(`| path | MiB/s (best of 2) |`);
  console.log(`| raw FileHandle.write + fsync | ${mibps(best("raw"))} |`);
  console.log(`| store writer + checkpoints + commit | ${mibps(best("store"))} |`);
  console.log(`| ratio store/raw | ${(best("raw") / best("store")).toFixed(2)} |`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
