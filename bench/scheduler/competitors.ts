/**
 * The BENCH-1 workload, shared by `run.ts` (wall time) and `cpu.ts` (CPU per request): a
 * loopback server answering 1 KiB bodies, and each competitor running N GETs against it at
 * the same concurrency.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Agent } from "undici";
import type { FetchCmd, Peer, PollResult } from "../../src/dl/types.js";

/**
 * plectrum as users run it: `npm run bench:scheduler` builds the package and sets
 * PLECTRUM_BENCH_DIST=1, so the compiled `dist/` is measured. Otherwise (the smoke test,
 * `npx tsx bench/scheduler/cpu.ts`) the TS sources run through tsx, whose esbuild transform
 * adds a naming helper call per closure created: that costs plectrum (not the competitors,
 * plain JS from node_modules) 10-20 % per request.
 */
const BUILT = join(import.meta.dirname, "..", "..", "dist", "index.js");
export const CODE: "dist" | "src" = process.env.PLECTRUM_BENCH_DIST === "1" ? "dist" : "src";
const lib: typeof import("../../src/index.js") = await import(
  CODE === "dist" ? BUILT : "../../src/index.js"
);
const { Downloader, createHttpClient } = lib;

export const CONCURRENCY = 5;
const BODY = Buffer.alloc(1024, 7);

export type Competitor = (origin: string, n: number) => Promise<void>;

/** A keep-alive loopback server answering every GET with the same 1 KiB body. */
export async function startServer(): Promise<{ origin: string; close: () => void }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": BODY.length,
    });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => server.close() };
}

async function drain(body: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of body);
}

/** `CONCURRENCY` workers taking request indices 0..n-1 in order. */
async function workers(n: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await one(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

export const rawUndici: Competitor = async (origin, n) => {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  await workers(n, async (i) => {
    const res = await agent.request({ origin, path: `/b/${i}`, method: "GET" });
    await drain(res.body);
  });
  await agent.close();
};

export const netClient: Competitor = async (origin, n) => {
  const http = createHttpClient();
  await workers(n, async (i) => {
    const res = await http.stream(`${origin}/b/${i}`);
    await drain(res.body);
  });
  await http.close();
};

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

export const fifoUndici: Competitor = async (origin, n) => {
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
};

/**
 * One peer handing out streaming commands for `origin/b/0..n-1` in batches of 50 as the
 * previous batch leaves the queue; resolves when all `n` completed. Shared with
 * `dl-overhead.ts`, which runs it over an in-memory client.
 */
export async function drivePeer(
  dl: InstanceType<typeof Downloader>,
  origin: string,
  n: number,
): Promise<void> {
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
}

export const downloader: Competitor = async (origin, n) => {
  const dl = new Downloader({ maxConcurrent: CONCURRENCY });
  await drivePeer(dl, origin, n);
  await dl.close();
};
