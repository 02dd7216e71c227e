/**
 * BENCH-1: scheduler overhead. N small GETs (default 20 000 x 1 KiB) over loopback at
 * concurrency 5: the plectrum Downloader (a peer streaming every command through the
 * scheduler) vs raw undici with 5 workers vs undici behind a hand-rolled FIFO semaphore
 * (p-queue is not a dependency; the semaphore is the same idea in 20 lines). A fourth row,
 * plectrum's own HttpClient driven by 5 workers, separates the scheduler's cost from the
 * HTTP layer's (retry, validation, resumable body) that every Downloader fetch goes through.
 *
 *   npm run bench:scheduler                # 20 000 requests, 1 round (after a warm-up)
 *   npm run bench:scheduler -- 20000 3     # requests, rounds (best round counts)
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { Downloader } from "../../src/dl/index.js";
import type { FetchCmd, Peer, PollResult } from "../../src/dl/types.js";
import { createHttpClient } from "../../src/net/index.js";

const TOTAL = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 1);
const CONCURRENCY = 5;
const BODY = Buffer.alloc(1024, 7);

const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": BODY.length });
  res.end(BODY);
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const url = (i: number) => `${origin}/b/${i}`;

async function drain(body: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of body);
}

async function rawUndici(n: number): Promise<void> {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const res = await agent.request({ origin, path: `/b/${i}`, method: "GET" });
      await drain(res.body);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await agent.close();
}

async function netClient(n: number): Promise<void> {
  const http = createHttpClient();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const res = await http.stream(url(next++));
      await drain(res.body);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await http.close();
}

/** A FIFO semaphore: what p-queue does for this workload, minus the package. */
class Semaphore {
  #free: number;
  #waiters: Array<() => void> = [];
  constructor(n: number) {
    this.#free = n;
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((r) => this.#waiters.push(r));
  }
  release(): void {
    const w = this.#waiters.shift();
    if (w) w();
    else this.#free++;
  }
}

async function fifoUndici(n: number): Promise<void> {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const sem = new Semaphore(CONCURRENCY);
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      await sem.acquire();
      try {
        const res = await agent.request({ origin, path: `/b/${i}`, method: "GET" });
        await drain(res.body);
      } finally {
        sem.release();
      }
    }),
  );
  await agent.close();
}

async function plectrum(n: number): Promise<void> {
  const dl = new Downloader({ maxConcurrent: CONCURRENCY });
  let left = n;
  let issued = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const onComplete = () => {
    if (--left === 0) resolveDone();
  };
  // A peer that hands out commands in batches of 50 as the previous batch leaves the queue.
  const peer: Peer = {
    poll(): PollResult {
      if (issued >= n) return "done";
      const batch: FetchCmd[] = [];
      for (let k = 0; k < 50 && issued < n; k++)
        batch.push({ url: url(issued++), writer: () => {}, onComplete });
      return batch;
    },
    priority: () => "low",
  };
  dl.register(peer);
  await done;
  await dl.close();
}

const competitors: Array<[string, (n: number) => Promise<void>]> = [
  ["undici (5 workers)", rawUndici],
  ["undici + FIFO semaphore", fifoUndici],
  ["plectrum HttpClient (5 workers, no scheduler)", netClient],
  ["plectrum Downloader", plectrum],
];

// Warm-up (JIT, sockets), then ROUNDS rounds in rotating order; the best round counts.
for (const [, fn] of competitors) await fn(Math.min(1_000, TOTAL));
const best = new Map<string, number>();
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < competitors.length; k++) {
    const [name, fn] = competitors[(k + r) % competitors.length]!;
    const t0 = performance.now();
    await fn(TOTAL);
    const ms = performance.now() - t0;
    best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, ms));
  }
}
server.close();

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
    node: process.version,
    rows,
  }),
);
console.log(
  `\nBENCH-1: ${TOTAL} x 1 KiB GETs, concurrency ${CONCURRENCY}, best of ${ROUNDS} rounds\n`,
);
console.log("| competitor | time (ms) | req/s | vs raw undici | vs plectrum HttpClient |");
console.log("|---|---:|---:|---:|---:|");
for (const r of rows)
  console.log(`| ${r.name} | ${r.ms} | ${r.reqPerS} | ${r.vsRawUndici}x | ${r.vsHttpClient}x |`);
