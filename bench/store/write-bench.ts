/**
 * Store write path vs. raw positional writes (input for BENCH-3: the store must not be the
 * bottleneck of a progressive download).
 *
 *   npx tsx bench/store/write-bench.ts [--mib 256] [--chunk-kib 64] [--dir /path]
 *
 * All sides write the same bytes sequentially in the same chunk size. `store append` is the
 * download path: `ResourceWriter.append` (write-behind: chunks coalesced into 1 MiB positional
 * writev, availability index + listeners per landed batch, a checkpoint every 8 MiB), waiting
 * only when the store asks (back-pressure); `store write` awaits every chunk. Both end with
 * `commit()` (fsync + rename + dir fsync). The raw side is a FileHandle.write loop ending with
 * one fsync; `raw writev` batches the same chunks into 1 MiB positional writevs.
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

/** The same bytes as 1 MiB positional writevs of the same chunks, then one fsync. */
async function rawBatched(): Promise<number> {
  const per = Math.max(1, Math.floor((1024 * 1024) / chunk.byteLength));
  const batch = Array.from({ length: per }, () => chunk);
  const t0 = performance.now();
  const fh = await open(join(base, "rawv.bin"), "w+");
  for (let off = 0; off < total; off += per * chunk.byteLength) {
    const n = Math.min(per, (total - off) / chunk.byteLength);
    await fh.writev(batch.slice(0, n), off);
  }
  await fh.sync();
  await fh.close();
  return performance.now() - t0;
}

async function viaStore(round: number, mode: "append" | "write"): Promise<number> {
  const store = await DiskStore.open({ root: join(base, `store-${mode}-${round}`) });
  const r = await (await store.asset("http://bench.test/big.bin")).resource(
    "http://bench.test/big.bin",
  );
  let landed = 0;
  const off = r.onChange((c) => {
    if (c.kind === "ranges") landed += c.end - c.start;
  });
  const t0 = performance.now();
  const w = (await r.tryClaim())!;
  w.setLength(total);
  for (let pos = 0; pos < total; pos += chunk.byteLength) {
    if (mode === "write") await w.write(pos, chunk);
    else await w.append(pos, chunk);
  }
  await w.commit();
  const t = performance.now() - t0;
  off();
  await store.close();
  if (landed !== total) throw new Error(`listeners saw ${landed} of ${total} bytes land`);
  return t;
}

try {
  const results: Array<[string, number]> = [];
  for (let round = 0; round < 2; round++) {
    results.push(["raw", await raw()]);
    results.push(["rawv", await rawBatched()]);
    results.push(["append", await viaStore(round, "append")]);
    results.push(["write", await viaStore(round, "write")]);
  }
  const best = (name: string) => Math.min(...results.filter(([n]) => n === name).map(([, t]) => t));
  const mibps = (ms: number) => (total / 1024 / 1024 / (ms / 1000)).toFixed(0);
  console.log(
    `command: npx tsx bench/store/write-bench.ts --mib ${values.mib} --chunk-kib ${values["chunk-kib"]}`,
  );
  console.log(`| path | MiB/s (best of 2) | ratio to raw |`);
  console.log(`|---|---|---|`);
  console.log(`| raw FileHandle.write + fsync | ${mibps(best("raw"))} | 1.00 |`);
  for (const [name, label] of [
    ["rawv", "raw 1 MiB FileHandle.writev + fsync"],
    ["append", "store append (write-behind) + checkpoints + commit"],
    ["write", "store write (awaited per chunk) + checkpoints + commit"],
  ] as const)
    console.log(`| ${label} | ${mibps(best(name))} | ${(best("raw") / best(name)).toFixed(2)} |`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
