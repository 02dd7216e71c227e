/**
 * BENCH-1 companion: CPU time per request (`process.cpuUsage`, client and server in one
 * process) for raw undici, plectrum's HttpClient and the Downloader, each at concurrency 5
 * on 1 KiB GETs over loopback. Wall-clock ratios swing with the machine's load; CPU per
 * request is what the per-request plumbing costs, and it is steadier.
 *
 *   npx tsx bench/scheduler/cpu.ts [requests=4000] [rounds=3]   # best round counts
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { Downloader } from "../../src/dl/index.js";
import type { FetchCmd, Peer, PollResult } from "../../src/dl/types.js";
import { createHttpClient } from "../../src/net/index.js";

const TOTAL = Number(process.argv[2] ?? 4_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const CONCURRENCY = 5;
const BODY = Buffer.alloc(1024, 7);

const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": BODY.length });
  res.end(BODY);
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function workers(n: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await one(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function rawUndici(n: number): Promise<void> {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  await workers(n, async (i) => {
    const res = await agent.request({ origin, path: `/b/${i}`, method: "GET" });
    for await (const _ of res.body);
  });
  await agent.close();
}

async function netClient(n: number): Promise<void> {
  const http = createHttpClient();
  await workers(n, async (i) => {
    const res = await http.stream(`${origin}/b/${i}`);
    for await (const _ of res.body);
  });
  await http.close();
}

async function downloader(n: number): Promise<void> {
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
  const peer: Peer = {
    poll(): PollResult {
      if (issued >= n) return "done";
      const batch: FetchCmd[] = [];
      for (let k = 0; k < 50 && issued < n; k++)
        batch.push({ url: `${origin}/b/${issued++}`, writer: () => {}, onComplete });
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
  ["plectrum HttpClient (5 workers)", netClient],
  ["plectrum Downloader", downloader],
];
for (const [, fn] of competitors) await fn(Math.min(1_000, TOTAL));
const best = new Map<string, number>();
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of competitors) {
    const c0 = process.cpuUsage();
    await fn(TOTAL);
    const c = process.cpuUsage(c0);
    const us = (c.user + c.system) / TOTAL;
    best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, us));
  }
}
server.close();
const raw = best.get("undici (5 workers)") ?? 1;
console.log(
  `\nBENCH-1 CPU: ${TOTAL} x 1 KiB GETs, concurrency ${CONCURRENCY}, best of ${ROUNDS}\n`,
);
console.log("| competitor | CPU us/request | vs raw undici |");
console.log("|---|---:|---:|");
for (const [name, us] of best)
  console.log(`| ${name} | ${Math.round(us)} | ${(raw / us).toFixed(2)}x |`);
