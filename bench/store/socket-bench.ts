/**
 * The store under a real network producer with the HTTP client out of the way (input for
 * BENCH-3/BENCH-5 and for the net layer's choices): one file from the local server (nginx if
 * installed) read with a plain `net` socket (one HTTP/1.1 GET, `Connection: close`, the body
 * is everything after the header), written either
 *   - raw: straight to a file, 1 MiB positional `writev`s, 4 in flight, the socket paused
 *     meanwhile; no fsync, or
 *   - store: through `ResourceWriter.append` (write-behind, its back-pressure pauses the
 *     socket), checkpoints every 8 MiB, durable `commit()` (fdatasync + rename + dir fsync).
 * Same process, modes interleaved, every output SHA-256 checked.
 *
 *   npx tsx bench/store/socket-bench.ts [--size 512M] [--runs 2]
 */
import { chmod, mkdir, mkdtemp, open, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DiskStore } from "../../src/store/disk-store.js";
import { makeFile } from "../support/file-bench.js";
import { parseSize, sha256File } from "../support/measure.js";
import { serveFile } from "../support/static-server.js";

const BATCH = 1024 * 1024;

/** GET `url` over a plain socket; `onChunk` may return a promise: the socket pauses until it settles. */
function download(url: string, onChunk: (c: Buffer) => Promise<void> | undefined): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let header = true;
    const s = connect(Number(u.port), u.hostname, () =>
      s.write(`GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n\r\n`),
    );
    s.on("data", (d: Buffer) => {
      let c = d;
      if (header) {
        const i = c.indexOf("\r\n\r\n");
        if (i < 0 || !c.subarray(0, 16).toString("latin1").startsWith("HTTP/1.1 200")) {
          s.destroy();
          reject(new Error("expected a 200 with its header in the first read"));
          return;
        }
        c = c.subarray(i + 4);
        header = false;
      }
      const wait = onChunk(c);
      if (wait) {
        s.pause();
        wait.then(() => s.resume(), reject);
      }
    });
    s.on("end", resolve);
    s.on("error", reject);
  });
}

async function raw(url: string, out: string): Promise<string> {
  const fh = await open(out, "w");
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let at = 0;
  const inflight = new Set<Promise<unknown>>();
  const flush = (): void => {
    if (batchBytes === 0) return;
    const p = fh.writev(batch, at);
    at += batchBytes;
    batch = [];
    batchBytes = 0;
    inflight.add(p);
    const forget = () => inflight.delete(p);
    p.then(forget, forget);
  };
  await download(url, (c) => {
    batch.push(c);
    batchBytes += c.length;
    if (batchBytes >= BATCH) flush();
    return inflight.size >= 4 ? Promise.race(inflight).then(() => {}) : undefined;
  });
  flush();
  await Promise.all(inflight);
  await fh.close();
  return out;
}

async function viaStore(url: string, root: string): Promise<string> {
  const store = await DiskStore.open({ root });
  try {
    const r = await (await store.asset(url)).resource(url);
    const w = await r.tryClaim();
    if (!w || r.path === undefined) throw new Error("no claim");
    let at = 0;
    await download(url, (c) => {
      const wait = w.append(at, c);
      at += c.length;
      return wait;
    });
    w.setLength(at);
    await w.commit();
    return r.path;
  } finally {
    await store.close();
  }
}

const { values } = parseArgs({
  options: { size: { type: "string", default: "512M" }, runs: { type: "string", default: "2" } },
});
const size = parseSize(values.size);
const work = await mkdtemp(join(tmpdir(), "plectrum-socket-bench-"));
try {
  await chmod(work, 0o755);
  await mkdir(join(work, "www"), { mode: 0o755 });
  const file = join(work, "www", "media.bin");
  await makeFile(file, size);
  const expect = await sha256File(file);
  const server = await serveFile(file, work);
  const best: Record<"raw" | "store", number> = { raw: Infinity, store: Infinity };
  try {
    for (let run = 0; run < Number(values.runs); run++) {
      for (const mode of ["raw", "store"] as const) {
        const t0 = performance.now();
        const out =
          mode === "raw"
            ? await raw(server.url, join(work, `raw-${run}.bin`))
            : await viaStore(server.url, join(work, `store-${run}`));
        const ms = performance.now() - t0;
        if ((await sha256File(out)) !== expect) throw new Error(`${mode}: wrong bytes`);
        await rm(out, { force: true });
        best[mode] = Math.min(best[mode], ms);
      }
    }
  } finally {
    await server.close();
  }
  const mibps = (ms: number) => (size / 1048576 / (ms / 1000)).toFixed(0);
  console.log(
    `command: npx tsx bench/store/socket-bench.ts --size ${values.size} --runs ${values.runs}`,
  );
  console.log(`${server.kind}, plain socket, best of ${values.runs}`);
  console.log("| path | MiB/s | ratio to raw |");
  console.log("|---|---|---|");
  console.log(`| raw: 1 MiB positional writev, no fsync | ${mibps(best.raw)} | 1.00 |`);
  console.log(
    `| store: append + checkpoints + durable commit | ${mibps(best.store)} | ${(best.raw / best.store).toFixed(2)} |`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
