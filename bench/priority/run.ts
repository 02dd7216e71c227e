/**
 * BENCH-2: priority latency. A server that takes 50 ms per request; 2 000 low-priority
 * prefetches are queued, then 50 urgent requests arrive one every 100 ms (a player asking for
 * the segment it needs now). Reported: p50/p99 of the urgent requests' wait in queue, for
 * the Downloader without and with pre-emption (DL-16, afterMs 0), and for a FIFO queue
 * (undici behind a FIFO semaphore) at the same concurrency.
 *
 *   npm run bench:priority                 # 2 000 prefetches, 50 urgent
 *   npm run bench:priority -- 500 20       # prefetches, urgent requests
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { Downloader, type DownloaderOptions } from "../../src/dl/index.js";
import type { FetchCmd, Peer, PollResult, Priority } from "../../src/dl/types.js";

const PREFETCH = Number(process.argv[2] ?? 2_000);
const URGENT = Number(process.argv[3] ?? 50);
const SERVICE_MS = 50;
const URGENT_EVERY_MS = 100;
const CONCURRENCY = 5;
const BODY = Buffer.alloc(1024, 3);

const server = createServer((_req, res) => {
  const t = setTimeout(() => {
    res.writeHead(200, { "content-length": BODY.length });
    res.end(BODY);
  }, SERVICE_MS);
  res.on("close", () => clearTimeout(t));
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

function staticPeer(prio: Priority, cmds: FetchCmd[]): Peer {
  let given = false;
  return {
    poll(): PollResult {
      if (given) return "done";
      given = true;
      return cmds;
    },
    priority: () => prio,
  };
}

/** Urgent waits measured by the Downloader itself (RequestStarted.waitInQueue, DL-13). */
/** Mean duration of completed prefetches in the Downloader runs: the real service time. */
const serviceTimes: number[] = [];

async function downloader(preempt: DownloaderOptions["preempt"] | undefined): Promise<number[]> {
  const dl = new Downloader({ maxConcurrent: CONCURRENCY, ...(preempt ? { preempt } : {}) });
  const prefetch: FetchCmd[] = Array.from({ length: PREFETCH }, (_, i) => ({
    url: `${origin}/low/${i}`,
    writer: () => {},
    onComplete: () => {},
  }));
  const low = dl.register(staticPeer("low", prefetch));
  low.bus.subscribe((env) => {
    if (env.event.type === "RequestCompleted") serviceTimes.push(env.event.duration);
  });
  const player = dl.register(staticPeer("high", []));
  const urgentIds = new Set<number>();
  const waits: number[] = [];
  player.bus.subscribe((env) => {
    const e = env.event;
    if (e.type === "RequestEnqueued") urgentIds.add(e.requestId);
    if (e.type === "RequestStarted" && urgentIds.has(e.requestId)) waits.push(e.waitInQueue);
  });
  await delay(200); // the prefetch queue is full and the cap is busy
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < URGENT; i++) {
    pending.push(player.execute({ url: `${origin}/urgent/${i}` }));
    await delay(URGENT_EVERY_MS);
  }
  await Promise.all(pending);
  await dl.close();
  return waits;
}

/** A FIFO queue in front of undici: urgent requests join the back like everything else. */
async function fifo(): Promise<number[]> {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  let free = CONCURRENCY;
  const waiters: Array<() => void> = [];
  const run = async (path: string): Promise<number> => {
    const queuedAt = performance.now();
    if (free > 0) free--;
    else await new Promise<void>((r) => waiters.push(r));
    const wait = performance.now() - queuedAt;
    try {
      const res = await agent.request({ origin, path, method: "GET" });
      for await (const _ of res.body);
    } finally {
      const w = waiters.shift();
      if (w) w();
      else free++;
    }
    return wait;
  };
  const lows = Array.from({ length: PREFETCH }, (_, i) => run(`/low/${i}`));
  await delay(200);
  const urgent: Promise<number>[] = [];
  for (let i = 0; i < URGENT; i++) {
    urgent.push(run(`/urgent/${i}`));
    await delay(URGENT_EVERY_MS);
  }
  const waits = await Promise.all(urgent);
  await Promise.all(lows);
  await agent.close();
  return waits;
}

const results: Array<[string, number[]]> = [
  ["plectrum Downloader", await downloader(undefined)],
  ["plectrum Downloader + pre-emption (afterMs 0)", await downloader({ afterMs: 0 })],
  ["FIFO queue + undici", await fifo()],
];
server.close();

const rows = results.map(([name, w]) => ({
  name,
  n: w.length,
  p50: Number(percentile(w, 50).toFixed(1)),
  p99: Number(percentile(w, 99).toFixed(1)),
  max: Number(Math.max(...w).toFixed(1)),
}));
const service = serviceTimes.reduce((a, b) => a + b, 0) / Math.max(serviceTimes.length, 1);
console.log(
  JSON.stringify({
    bench: "BENCH-2",
    prefetch: PREFETCH,
    urgent: URGENT,
    serverDelayMs: SERVICE_MS,
    measuredServiceMs: Number(service.toFixed(1)),
    concurrency: CONCURRENCY,
    node: process.version,
    rows,
  }),
);
console.log(
  `\nBENCH-2: ${PREFETCH} low prefetches (server delay ${SERVICE_MS} ms, measured service time ${service.toFixed(1)} ms), ${URGENT} urgent requests every ${URGENT_EVERY_MS} ms, concurrency ${CONCURRENCY}\n`,
);
console.log("| queue | urgent p50 wait (ms) | urgent p99 wait (ms) | max (ms) |");
console.log("|---|---:|---:|---:|");
for (const r of rows) console.log(`| ${r.name} | ${r.p50} | ${r.p99} | ${r.max} |`);
