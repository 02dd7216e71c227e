/**
 * BENCH-1 companion: CPU time per request (`process.cpuUsage`, client and server in one
 * process) for raw undici, plectrum's HttpClient and the Downloader, each at concurrency 5
 * on 1 KiB GETs over loopback. Wall-clock ratios swing with the machine's load; CPU per
 * request is what the per-request plumbing costs, and it is steadier.
 *
 *   npx tsx bench/scheduler/cpu.ts [requests=4000] [rounds=3]   # best round counts
 */
import {
  CONCURRENCY,
  type Competitor,
  downloader,
  netClient,
  rawUndici,
  startServer,
} from "./competitors.js";

const TOTAL = Number(process.argv[2] ?? 4_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const { origin, close } = await startServer();

const competitors: Array<[string, Competitor]> = [
  ["undici (5 workers)", rawUndici],
  ["plectrum HttpClient (5 workers)", netClient],
  ["plectrum Downloader", downloader],
];
for (const [, fn] of competitors) await fn(origin, Math.min(1_000, TOTAL));
const best = new Map<string, number>();
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of competitors) {
    const c0 = process.cpuUsage();
    await fn(origin, TOTAL);
    const c = process.cpuUsage(c0);
    const us = (c.user + c.system) / TOTAL;
    best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, us));
  }
}
close();
const raw = best.get("undici (5 workers)") ?? 1;
console.log(
  `\nBENCH-1 CPU: ${TOTAL} x 1 KiB GETs, concurrency ${CONCURRENCY}, best of ${ROUNDS}\n`,
);
console.log("| competitor | CPU us/request | vs raw undici |");
console.log("|---|---:|---:|");
for (const [name, us] of best)
  console.log(`| ${name} | ${Math.round(us)} | ${(raw / us).toFixed(2)}x |`);
