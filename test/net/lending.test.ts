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
import { bodyBytes } from "../support/fault-server.js";

const TOTAL = 4 * 1024 * 1024;
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

  async function read(keep: boolean): Promise<{ bytes: Buffer; memories: number; chunks: number }> {
    const http = createHttpClient();
    try {
      const res = await http.stream(url);
      const seen = new Set<ArrayBufferLike>();
      const parts: Buffer[] = [];
      let chunks = 0;
      for await (const chunk of res.body) {
        chunks++;
        seen.add(chunk.buffer);
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
    expect(r.memories).toBe(r.chunks);
  });

  it("NET-1 BENCH-5: chunks given back carry later reads: a 4 MiB body reuses a handful of slabs", async () => {
    const r = await read(false);
    expect(r.bytes.equals(BODY)).toBe(true);
    expect(r.chunks).toBeGreaterThan(16);
    expect(r.memories).toBeLessThan(r.chunks / 4);
  });
});
