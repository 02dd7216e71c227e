import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUndiciBackend } from "../../src/net/backend-undici.js";
import { createHttpClient } from "../../src/net/index.js";
import type { HttpBackend } from "../../src/net/types.js";
import { bodyBytes, type FaultServer, startFaultServer } from "../support/fault-server.js";
import { collect } from "./helpers.js";

/** The undici backend, recording at every dispose whether its body had reported its own end. */
function watchedBackend(): { backend: HttpBackend; disposed: boolean[] } {
  const inner = createUndiciBackend();
  const disposed: boolean[] = [];
  const backend: HttpBackend = {
    name: "undici-watched",
    async request(req) {
      const res = await inner.request(req);
      const it = res.body[Symbol.asyncIterator]();
      let ended = false;
      const body: AsyncIterableIterator<Uint8Array> = {
        async next() {
          const r = await it.next();
          if (r.done) ended = true;
          return r;
        },
        [Symbol.asyncIterator]() {
          return body;
        },
      };
      return {
        ...res,
        body,
        async dispose() {
          disposed.push(ended);
          await res.dispose();
        },
      };
    },
    close: () => inner.close(),
  };
  return { backend, disposed };
}

describe("keep-alive reuse over undici", () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await startFaultServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("NET-1 CORE-4: 50 sequential getBytes/stream/getRange requests reuse at most 2 connections; no fully read body is destroyed", async () => {
    const { backend, disposed } = watchedBackend();
    const client = createHttpClient({ backend });
    const url = server.bytesUrl(71, 1024);
    const want = bodyBytes(71, 1024);
    try {
      for (let i = 0; i < 50; i++) {
        if (i % 3 === 0) {
          expect((await client.getBytes(url)).bytes).toEqual(want);
        } else if (i % 3 === 1) {
          const s = await client.stream(url);
          expect(await collect(s.body)).toEqual(want);
          await s.dispose();
        } else {
          const r = await client.getRange(url, { start: 24, end: 1024 });
          expect(await collect(r.body)).toEqual(want.subarray(24));
          await r.dispose();
        }
      }
    } finally {
      await client.close();
    }
    const ports = new Set(server.requestsTo("/bytes/71/1024").map((r) => r.remotePort));
    expect(server.gets("/bytes/71/1024")).toBe(50);
    expect(ports.size).toBeLessThanOrEqual(2);
    // Every exchange was released, and each one only after its body had ended by itself.
    expect(disposed).toHaveLength(50);
    expect(disposed.filter((ended) => !ended)).toEqual([]);
  });
});
