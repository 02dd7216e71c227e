/**
 * Socket memory reuse in the http1 backend (BENCH-3/5): a plain-TCP read lands in a slab; a
 * body chunk cut from it is lent, and only a consumer that gives it back lets the slab carry a
 * later read. A consumer that keeps its chunks must see every byte intact.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { giveBack } from "../../src/core/lending.js";
import { createHttpClient } from "../../src/net/client.js";
import { SLAB_BYTES } from "../../src/net/http1/slabs.js";
import { bodyBytes } from "../support/fault-server.js";

const TOTAL = 16 * 1024 * 1024;
const BODY = Buffer.from(bodyBytes(7, TOTAL));

describe("http1 backend socket memory", () => {
  let server: Server;
  let url = "";
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-length": TOTAL });
      let at = 0;
      const pump = () => {
        while (at < TOTAL) {
          const piece = BODY.subarray(at, at + 64 * 1024);
          at += piece.length;
          if (!res.write(piece)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/body`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  /** Reads the body; counts the chunks that are views of a slab and the distinct slabs. */
  async function read(keep: boolean): Promise<{ bytes: Buffer; memories: number; chunks: number }> {
    const http = createHttpClient();
    try {
      const res = await http.stream(url);
      const seen = new Set<ArrayBufferLike>();
      const parts: Buffer[] = [];
      let chunks = 0;
      for await (const chunk of res.body) {
        if (chunk.buffer.byteLength === SLAB_BYTES) {
          chunks++;
          seen.add(chunk.buffer);
        }
        if (keep) parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        else {
          parts.push(Buffer.from(chunk)); // a copy, then the chunk goes back
          giveBack(chunk);
        }
      }
      return { bytes: Buffer.concat(parts), memories: seen.size, chunks };
    } finally {
      await http.close();
    }
  }

  it("NET-1 BENCH-5: chunks a consumer keeps are never overwritten: every byte intact, no memory shared", async () => {
    const r = await read(true);
    expect(r.bytes.equals(BODY)).toBe(true);
    expect(r.chunks).toBeGreaterThan(16);
    expect(r.memories).toBe(r.chunks);
  });

  it("NET-1 BENCH-5: chunks given back carry later reads: a 16 MiB body reuses a handful of slabs", async () => {
    const r = await read(false);
    expect(r.bytes.equals(BODY)).toBe(true);
    expect(r.chunks).toBeGreaterThan(16);
    expect(r.memories).toBeGreaterThan(0);
    expect(r.memories).toBeLessThan(r.chunks / 4);
  });

  it("NET-1 BENCH-5: a small response is a copy, so its read's slab goes straight back (never pinned by 1 KiB)", async () => {
    const small = createServer((_req, res) => res.end(Buffer.alloc(1024, 5)));
    await new Promise<void>((r) => small.listen(0, "127.0.0.1", r));
    const http = createHttpClient();
    try {
      const port = (small.address() as AddressInfo).port;
      const res = await http.stream(`http://127.0.0.1:${port}/`);
      const chunks: Uint8Array[] = [];
      for await (const chunk of res.body) chunks.push(chunk);
      expect(chunks.length).toBe(1);
      expect(chunks[0]?.byteLength).toBe(1024);
      expect(chunks[0]?.buffer.byteLength).toBeLessThan(SLAB_BYTES);
    } finally {
      await http.close();
      await new Promise<void>((r) => small.close(() => r()));
    }
  });
});
