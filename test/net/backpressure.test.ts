import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttp1Backend } from "../../src/net/backend-http1.js";
import { createUndiciBackend } from "../../src/net/backend-undici.js";
import { type BufferedBody, HIGH_WATER } from "../../src/net/body-channel.js";
import { SLAB_BYTES } from "../../src/net/http1/slabs.js";

const CHUNK = 64 * 1024;
const TOTAL = 8 * HIGH_WATER;

/** Yield to the event loop until `cond` holds (bounded: a broken pause fails, never hangs). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200_000; i++) {
    if (cond()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}`);
}

// The largest single socket read of each backend: http1 reads into slabs, undici gets Node's
// default 64 KiB reads. Read-ahead may overshoot HIGH_WATER by at most one read.
describe.each([
  ["http1", createHttp1Backend, SLAB_BYTES],
  ["undici", createUndiciBackend, CHUNK],
] as const)("%s backend read-ahead", (name, create, maxRead) => {
  let server: Server;
  let origin = "";
  beforeAll(async () => {
    const block = Buffer.alloc(CHUNK, 9);
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-length": TOTAL });
      let sent = 0;
      const pump = () => {
        while (sent < TOTAL) {
          sent += CHUNK;
          if (!res.write(block)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("NET-1 NET-12: a body nobody reads pauses its socket past HIGH_WATER bytes and resumes once drained; every byte arrives", async () => {
    const backend = create();
    try {
      const url = `${origin}/big`;
      const res = await backend.request({
        url,
        target: new URL(url),
        method: "GET",
        headers: {},
        get signal(): AbortSignal {
          throw new Error(`the ${name} backend must not need an AbortSignal`);
        },
        onAbort: () => {},
      });
      const body = res.body as AsyncIterable<Uint8Array> & BufferedBody;
      await until(() => body.paused, "the socket paused");
      // Paused right after the chunk that crossed the mark: bounded read-ahead.
      expect(body.bufferedBytes).toBeGreaterThan(HIGH_WATER);
      expect(body.bufferedBytes).toBeLessThanOrEqual(HIGH_WATER + maxRead);
      let got = 0;
      let sawResume = false;
      for await (const chunk of body) {
        got += chunk.length;
        if (!body.paused) sawResume = true;
        expect(chunk.every((b: number) => b === 9)).toBe(true);
      }
      expect(sawResume).toBe(true);
      expect(got).toBe(TOTAL);
      await res.dispose();
    } finally {
      await backend.close();
    }
  });
});
