/**
 * Index-format benchmark for src/store (numbers quoted in src/store/CONTEXT.md).
 *
 *   npx tsx bench/store/index-bench.ts [--commits 500] [--resources 10000] [--dir /path]
 *
 * 1. durable commits/s through the public API (putWhole of 1 KiB: write, fdatasync, rename,
 *    dir fsync, journal append);
 * 2. the index update alone: our journal append vs. the alternative "one JSON snapshot per
 *    asset, rewritten atomically" (temp + fsync + rename) at 10 000 resources;
 * 3. recovery of one asset with 10 000 resources: clean start-up (journal replay + stat per
 *    record), start-up from an uncompacted journal (3 lines per resource), and a garbage
 *    index rebuilt from a directory scan (STORE-5).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { appendFile, open, rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { PersistedResource } from "../../src/store/backend.js";
import { DiskStore } from "../../src/store/disk-store.js";
import { encodeHeader, encodeIndex, encodeRecord } from "../../src/store/journal.js";
import { assetRootOf, canonicalUrl, resourcePath } from "../../src/store/layout.js";

const { values } = parseArgs({
  options: {
    commits: { type: "string", default: "500" },
    resources: { type: "string", default: "10000" },
    dir: { type: "string" },
  },
});
const COMMITS = Number(values.commits);
const RESOURCES = Number(values.resources);
const base = mkdtempSync(join(values.dir ?? tmpdir(), "plectrum-index-bench-"));
const ms = (t0: number) => performance.now() - t0;
const rows: Array<[string, string]> = [];

async function commitsPerSecond(): Promise<void> {
  const store = await DiskStore.open({ root: join(base, "commits") });
  const asset = await store.asset("http://bench.test/a.m3u8");
  const payload = new Uint8Array(1024).fill(1);
  const t0 = performance.now();
  for (let i = 0; i < COMMITS; i++)
    await (await asset.resource(`http://bench.test/seg${i}.ts`)).putWhole(payload);
  const t = ms(t0);
  await store.close();
  rows.push([
    "durable commits/s (putWhole 1 KiB, fsync+rename+dir fsync+journal)",
    (COMMITS / (t / 1000)).toFixed(0),
  ]);
}

function records(n: number): PersistedResource[] {
  const out: PersistedResource[] = [];
  for (let i = 0; i < n; i++)
    out.push({
      key: `bench.test/seg${i}.ts`,
      url: `http://bench.test/seg${i}.ts`,
      state: "committed",
      total: 188_000,
      ranges: [[0, 188_000]],
    });
  return out;
}

async function indexUpdate(): Promise<void> {
  const dir = join(base, "update");
  mkdirSync(dir, { recursive: true });
  const recs = records(RESOURCES);
  const journal = join(dir, ".index");
  writeFileSync(journal, encodeHeader("http://bench.test/a.m3u8"));
  const n = 2000;
  let t0 = performance.now();
  for (let i = 0; i < n; i++)
    await appendFile(journal, encodeRecord(recs[i % RESOURCES]!.key, recs[i % RESOURCES]));
  const append = ms(t0) / n;
  const snapshot = join(dir, "snapshot.json");
  const body = Buffer.from(encodeIndex("http://bench.test/a.m3u8", recs));
  const m = 50;
  t0 = performance.now();
  for (let i = 0; i < m; i++) {
    const fh = await open(`${snapshot}.tmp`, "w");
    await fh.write(body);
    await fh.sync();
    await fh.close();
    await rename(`${snapshot}.tmp`, snapshot);
  }
  const rewrite = ms(t0) / m;
  rows.push(["index update: journal append (ms/op)", append.toFixed(3)]);
  rows.push([
    `index update: atomic JSON snapshot of ${RESOURCES} resources (ms/op)`,
    rewrite.toFixed(2),
  ]);
}

/** An asset with RESOURCES committed files written directly (same on-disk state as commits). */
function buildAsset(root: string, journalLinesPerResource: number): string {
  const url = "http://bench.test/a.m3u8";
  const assetRoot = assetRootOf(canonicalUrl(url));
  const dir = join(root, assetRoot);
  mkdirSync(join(dir, "bench.test"), { recursive: true });
  let journal = encodeHeader(url);
  const payload = new Uint8Array(64);
  for (let i = 0; i < RESOURCES; i++) {
    const segUrl = `http://bench.test/seg${i}.ts`;
    const key = resourcePath(canonicalUrl(segUrl));
    writeFileSync(join(dir, key), payload);
    const rec: PersistedResource = {
      key,
      url: segUrl,
      state: "committed",
      total: 64,
      ranges: [[0, 64]],
    };
    for (let j = 1; j < journalLinesPerResource; j++)
      journal += encodeRecord(key, { ...rec, state: "partial", ranges: [[0, 32 * j]] });
    journal += encodeRecord(key, rec);
  }
  writeFileSync(join(dir, ".index"), journal);
  return url;
}

async function timeOpen(root: string, url: string): Promise<[number, number]> {
  const t0 = performance.now();
  const store = await DiskStore.open({ root });
  const asset = await store.asset(url);
  const t = ms(t0);
  const n = asset.resources().length;
  await store.close();
  return [t, n];
}

async function recovery(): Promise<void> {
  const clean = join(base, "clean");
  const url = buildAsset(clean, 1);
  await timeOpen(clean, url); // warm-up: JIT and page cache, so the three cases compare fairly
  const [tClean, n1] = await timeOpen(clean, url);
  const long = join(base, "long");
  buildAsset(long, 3);
  const [tLong, n2] = await timeOpen(long, url);
  const damaged = join(base, "damaged");
  buildAsset(damaged, 1);
  writeFileSync(join(damaged, assetRootOf(canonicalUrl(url)), ".index"), "garbage\u0000{{{");
  const [tRebuild, n3] = await timeOpen(damaged, url);
  if (n1 !== RESOURCES || n2 !== RESOURCES || n3 !== RESOURCES)
    throw new Error(`recovered ${n1}/${n2}/${n3} of ${RESOURCES}`);
  rows.push([`start-up, clean index, ${RESOURCES} resources (ms)`, tClean.toFixed(0)]);
  rows.push([`start-up, uncompacted journal (${3 * RESOURCES} lines) (ms)`, tLong.toFixed(0)]);
  rows.push([
    `start-up, garbage index rebuilt by scan, ${RESOURCES} resources (ms)`,
    tRebuild.toFixed(0),
  ]);
}

try {
  await commitsPerSecond();
  await indexUpdate();
  await recovery();
} finally {
  rmSync(base, { recursive: true, force: true });
}
console.log(
  `command: npx tsx bench/store/index-bench.ts --commits ${COMMITS} --resources ${RESOURCES}${values.dir ? ` --dir ${values.dir}` : ""}`,
);
console.log(`node ${process.version}, ${process.platform}`);
for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
