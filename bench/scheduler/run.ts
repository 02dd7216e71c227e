/**
 * BENCH-1: scheduler overhead. N small GETs (default 20 000 x 1 KiB) over loopback at
 * concurrency 5: the plectrum Downloader (a peer streaming every command through the
 * scheduler) vs raw undici with 5 workers vs undici behind a hand-rolled FIFO semaphore
 * (p-queue is not a dependency; the semaphore is the same idea in 20 lines). A fourth row,
 * plectrum's own HttpClient driven by 5 workers, separates the scheduler's cost from the
 * HTTP layer's (retry, validation, resumable body) that every Downloader fetch goes through.
 *
 *   npm run bench:scheduler                # build, then 20 000 requests, 1 round (after a warm-up)
 *   npm run bench:scheduler -- 20000 3     # requests, rounds (best round counts)
 */
import {
  CODE,
  CONCURRENCY,
  type Competitor,
  downloader,
  fifoUndici,
  netClient,
  rawUndici,
  startServer,
} from "./competitors.js";

const TOTAL = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 1);
const { origin, close } = await startServer();

const competitors: Array<[string, Competitor]> = [
  ["undici (5 workers)", rawUndici],
  ["undici + FIFO semaphore", fifoUndici],
  ["plectrum HttpClient (5 workers, no scheduler)", netClient],
  ["plectrum Downloader", downloader],
];

// Warm-up (JIT, sockets), then ROUNDS rounds in rotating order; the best round counts.
for (const [, fn] of competitors) await fn(origin, Math.min(1_000, TOTAL));
const best = new Map<string, number>();
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < competitors.length; k++) {
    const [name, fn] = competitors[(k + r) % competitors.length]!;
    const t0 = performance.now();
    await fn(origin, TOTAL);
    const ms = performance.now() - t0;
    best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, ms));
  }
}
close();

const raw = best.get("undici (5 workers)")!;
const net = best.get("plectrum HttpClient (5 workers, no scheduler)")!;
const rows = [...best].map(([name, ms]) => ({
  name,
  ms: Math.round(ms),
  reqPerS: Math.round((TOTAL / ms) * 1000),
  vsRawUndici: Number((raw / ms).toFixed(2)),
  vsHttpClient: Number((net / ms).toFixed(2)),
}));
console.log(
  JSON.stringify({
    bench: "BENCH-1",
    requests: TOTAL,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    code: CODE,
    node: process.version,
    rows,
  }),
);
console.log(
  `\nBENCH-1: ${TOTAL} x 1 KiB GETs, concurrency ${CONCURRENCY}, best of ${ROUNDS} rounds, plectrum from ${CODE}\n`,
);
console.log("| competitor | time (ms) | req/s | vs raw undici | vs plectrum HttpClient |");
console.log("|---|---:|---:|---:|---:|");
for (const r of rows)
  console.log(`| ${r.name} | ${r.ms} | ${r.reqPerS} | ${r.vsRawUndici}x | ${r.vsHttpClient}x |`);
