/**
 * BENCH-1 companion: the Downloader's own CPU per request, without sockets. The same peer as
 * the `downloader` competitor (batches of 50 streaming commands, concurrency 5) runs against
 * an in-memory HttpClient that answers every `stream` at once with one 1 KiB chunk, next to
 * 5 workers calling that client directly. The difference is what the scheduler itself costs
 * (entries, slots, pump, lifecycle plumbing, bandwidth crediting into the ABR controller),
 * steady enough to compare commits where loopback HTTP numbers swing with machine load.
 *
 *   npm run build && PLECTRUM_BENCH_DIST=1 npx tsx bench/scheduler/dl-overhead.ts [requests=50000] [rounds=5]
 */
import { join } from "node:path";
import type { HttpClient, RequestOptions, StreamResponse } from "../../src/net/types.js";
import { CODE, CONCURRENCY, drivePeer } from "./competitors.js";

const { Downloader }: typeof import("../../src/index.js") = await import(
  CODE === "dist" ? join(import.meta.dirname, "..", "..", "dist", "index.js") : "../../src/index.js"
);

const TOTAL = Number(process.argv[2] ?? 50_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const CHUNK = new Uint8Array(1024);

async function* oneChunk(): AsyncGenerator<Uint8Array> {
  yield CHUNK;
}

function unsupported(): never {
  throw new Error("only stream() is used by this bench");
}

/** Answers every stream() after one microtask, reporting firstByte like the real client. */
const memory: HttpClient = {
  async stream(url: string, options?: RequestOptions): Promise<StreamResponse> {
    await null;
    options?.observer?.firstByte?.({ ttfb: 1, status: 200, partial: false });
    return {
      status: 200,
      url,
      headers: { "content-length": "1024" },
      partial: false,
      expectedLength: 1024,
      total: 1024,
      body: oneChunk(),
      consumed: 0,
      dispose: async () => {},
    };
  },
  getBytes: unsupported,
  getRange: unsupported,
  head: unsupported,
  close: async () => {},
};

async function direct(n: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const res = await memory.stream(`http://bench.invalid/b/${next++}`);
      for await (const _ of res.body);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function scheduled(n: number): Promise<void> {
  const dl = new Downloader({ maxConcurrent: CONCURRENCY, http: memory });
  await drivePeer(dl, "http://bench.invalid", n);
  await dl.close();
}

const rows: Array<[string, (n: number) => Promise<void>]> = [
  ["in-memory client, 5 workers", direct],
  ["Downloader over the in-memory client", scheduled],
];
const best = new Map<string, number>();
for (const [, fn] of rows) await fn(5_000);
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of rows) {
    const c0 = process.cpuUsage();
    await fn(TOTAL);
    const c = process.cpuUsage(c0);
    best.set(
      name,
      Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, (c.user + c.system) / TOTAL),
    );
  }
}
console.log(`\nDownloader overhead (${CODE}): ${TOTAL} requests, best of ${ROUNDS}\n`);
console.log("| row | CPU us/request |");
console.log("|---|---:|");
for (const [name, us] of best) console.log(`| ${name} | ${us.toFixed(2)} |`);
