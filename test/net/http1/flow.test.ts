/**
 * NET-1 body flow control and teardown: bounded read-ahead, abort before the head and
 * mid-body, dispose of finished and unfinished bodies, close() (CORE-4), and the integrity of
 * chunks a reader keeps or gives back (lent slabs, core/lending).
 */
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { giveBack } from "../../../src/core/lending.js";
import {
  BACKENDS,
  drain,
  fetchAll,
  makeBackend,
  netFailure,
  openSockets,
  rawRequest,
  sequentialSockets,
} from "./backends.js";
import { clResponse, type RawConn, useRawServer } from "./raw-server.js";

const server = useRawServer();

/** Resolves after `turns` consecutive 10 ms windows in which `progress()` did not change. */
async function quiet(progress: () => number, turns: number): Promise<void> {
  let last = progress();
  for (let still = 0; still < turns; ) {
    await new Promise((r) => setTimeout(r, 10));
    const now = progress();
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

describe.each(BACKENDS)("NET-1 body flow over %s", (name) => {
  for (const framing of ["content-length", "chunked", "close-delimited"] as const) {
    it(`NET-1 NET-12: a reader that stops reading stops the socket reading (bounded read-ahead, ${framing}); every byte arrives once it reads on`, async () => {
      const TOTAL = 48 * 1024 * 1024;
      const backend = makeBackend(name);
      let sent = 0;
      let done = false;
      try {
        server().handle(async (_req, conn) => {
          const block = Buffer.alloc(64 * 1024, 7);
          const piece =
            framing === "chunked"
              ? Buffer.concat([
                  Buffer.from(`${block.length.toString(16)}\r\n`),
                  block,
                  Buffer.from("\r\n"),
                ])
              : block;
          const head =
            framing === "content-length"
              ? `content-length: ${TOTAL}\r\n`
              : framing === "chunked"
                ? "transfer-encoding: chunked\r\n"
                : "";
          conn.socket.write(`HTTP/1.1 200 OK\r\n${head}\r\n`);
          while (sent < TOTAL && !conn.gone) {
            sent += block.length;
            if (!conn.socket.write(piece)) {
              await Promise.race([once(conn.socket, "drain"), conn.closed]);
            }
          }
          if (framing === "chunked") conn.socket.write("0\r\n\r\n");
          if (framing === "close-delimited") conn.socket.end();
          done = true;
        });
        const res = await backend.request(rawRequest(server().url("/big")));
        const it = res.body[Symbol.asyncIterator]();
        const first = await it.next();
        expect(first.done).toBe(false);
        // Nobody reads now: the server's writes must stop draining well before the end.
        await quiet(() => sent, 20);
        expect(done).toBe(false);
        expect(sent).toBeLessThan(24 * 1024 * 1024);
        let got = first.value?.length ?? 0;
        for (let r = await it.next(); !r.done; r = await it.next()) got += r.value.length;
        expect(got).toBe(TOTAL);
        expect(done).toBe(true);
        await res.dispose();
      } finally {
        await backend.close();
      }
    });
  }

  for (const chunked of [false, true]) {
    it(`NET-1 BENCH-5: chunks a reader keeps are never overwritten by later reads; chunks given back (core giveBack) leave every later byte intact (${chunked ? "chunked" : "content-length"})`, async () => {
      const SIZE = 4 * 1024 * 1024;
      const pattern = (k: number) => {
        const b = Buffer.allocUnsafe(SIZE);
        for (let o = 0; o < SIZE; o++) b[o] = (o + k * 97 + (o >>> 8) * 13) & 0xff;
        return b;
      };
      const bodies = [pattern(0), pattern(1), pattern(2)];
      const backend = makeBackend(name);
      try {
        server().handle(async (req, conn) => {
          const body = bodies[Number(req.target.slice(1))] as Buffer;
          const framing = chunked ? "transfer-encoding: chunked" : `content-length: ${SIZE}`;
          conn.socket.write(`HTTP/1.1 200 OK\r\n${framing}\r\n\r\n`);
          const PIECE = 256 * 1024;
          for (let at = 0; at < SIZE && !conn.gone; at += PIECE) {
            const piece = body.subarray(at, at + PIECE);
            const wire = chunked
              ? Buffer.concat([
                  Buffer.from(`${PIECE.toString(16)}\r\n`),
                  piece,
                  Buffer.from("\r\n"),
                ])
              : piece;
            if (!conn.socket.write(wire)) {
              await Promise.race([once(conn.socket, "drain"), conn.closed]);
            }
          }
          if (chunked) conn.socket.write("0\r\n\r\n");
        });
        const kept: Array<{ chunk: Uint8Array; body: number; at: number }> = [];
        const returned = new WeakSet<ArrayBufferLike>();
        let reused = 0;
        for (let k = 0; k < bodies.length; k++) {
          const res = await backend.request(rawRequest(server().url(`/${k}`)));
          let at = 0;
          let n = 0;
          for await (const chunk of res.body) {
            const want = (bodies[k] as Buffer).subarray(at, at + chunk.length);
            expect(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).equals(want)).toBe(
              true,
            );
            // Body 0 is kept whole; later bodies keep every 5th chunk and give back the rest.
            if (returned.has(chunk.buffer)) reused++;
            if (k === 0 || n % 5 === 0) kept.push({ chunk, body: k, at });
            else {
              returned.add(chunk.buffer);
              giveBack(chunk);
            }
            at += chunk.length;
            n++;
          }
          expect(at).toBe(SIZE);
          await res.dispose();
        }
        for (const { chunk, body, at } of kept) {
          const want = (bodies[body] as Buffer).subarray(at, at + chunk.length);
          expect(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).equals(want)).toBe(true);
        }
        expect(server().connections.length).toBeLessThanOrEqual(sequentialSockets(name));
        // http1 lends the slabs of large reads: memory given back does come back, so the checks
        // above ran against recycled memory (undici never lends; giveBack is a no-op there).
        // (Chunked bodies share slabs with their size lines: not asserted there.)
        if (name === "http1" && !chunked) expect(reused).toBeGreaterThan(0);
      } finally {
        await backend.close();
      }
    });
  }

  it("NET-1 CORE-4: an abort before the head rejects the request and destroys its socket", async () => {
    const backend = makeBackend(name);
    try {
      server().handle(() => {}); // never answers
      const req = rawRequest(server().url("/silent"));
      const p = backend.request(req);
      await server().when(() => server().requests.length === 1);
      req.abort();
      await netFailure(p);
      await server().connections[0]?.closed;
      expect(openSockets(backend) ?? 0).toBe(0);
    } finally {
      await backend.close();
    }
  });

  it("NET-1 CORE-4: an abort mid-body rejects the body and destroys its socket", async () => {
    const backend = makeBackend(name);
    try {
      server().handle(async (_req, conn) => {
        await conn.write("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n");
        await conn.write("x".repeat(100));
      });
      const req = rawRequest(server().url("/half"));
      const res = await backend.request(req);
      const it = res.body[Symbol.asyncIterator]();
      expect((await it.next()).done).toBe(false);
      const pending = it.next();
      req.abort();
      // Whatever was already buffered may still come out; the body then rejects.
      const read = (async () => {
        for (let r = await pending; !r.done; r = await it.next()) {
          // drain
        }
      })();
      await netFailure(read);
      await server().connections[0]?.closed;
      expect(openSockets(backend) ?? 0).toBe(0);
      await res.dispose();
    } finally {
      await backend.close();
    }
  });

  it("NET-1: dispose() of an unfinished body destroys its socket; of a finished body keeps it for reuse", async () => {
    const backend = makeBackend(name);
    try {
      server().handle(async (req, conn) => {
        if (req.target === "/unfinished") {
          await conn.write("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n");
          await conn.write("x".repeat(10));
        } else await conn.write(clResponse(`got ${req.target}`));
      });
      const res = await backend.request(rawRequest(server().url("/unfinished")));
      await res.dispose();
      const unfinished = server().connections[0] as RawConn;
      await unfinished.closed;

      expect((await fetchAll(backend, server().url("/finished"))).body).toBe("got /finished");
      const kept = server().requests.at(-1)?.conn as RawConn;
      expect((await fetchAll(backend, server().url("/next"))).body).toBe("got /next");
      if (name === "undici") {
        // Measured: after an aborted request undici's Pool churns sockets (the one that
        // carried /finished is closed, /next opens another), so reuse is not asserted for it.
        expect(kept.requests.map((r) => r.target)).toEqual(["/finished"]);
        return;
      }
      expect(kept.isClosed).toBe(false);
      expect(kept.requests.map((r) => r.target)).toEqual(["/finished", "/next"]);
    } finally {
      await backend.close();
    }
  });

  it("NET-1 CORE-4: close() destroys every socket, idle or busy", async () => {
    const backend = makeBackend(name);
    try {
      server().handle(async (req, conn) => {
        if (req.target === "/busy")
          await conn.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nxx");
        else await conn.write(clResponse("idle"));
      });
      await Promise.all([1, 2, 3].map((i) => fetchAll(backend, server().url(`/idle${i}`))));
      const busy = await backend.request(rawRequest(server().url("/busy")));
      const conns = [...server().connections];
      expect(conns.length).toBeGreaterThanOrEqual(2);
      await backend.close();
      await Promise.all(conns.map((c) => c.closed));
      expect(server().open).toEqual([]);
      expect(openSockets(backend) ?? 0).toBe(0);
      await busy.dispose();
    } finally {
      await backend.close();
    }
  });

  it("NET-1 CORE-4: close() fails a pending request and an in-flight body", async () => {
    const backend = makeBackend(name);
    try {
      server().handle(async (req, conn) => {
        if (req.target === "/busy") {
          await conn.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nxx");
        }
      });
      const busy = await backend.request(rawRequest(server().url("/busy")));
      const pending = backend.request(rawRequest(server().url("/pending")));
      pending.catch(() => {});
      await server().when(() => server().requests.some((r) => r.target === "/pending"));
      await backend.close();
      await netFailure(pending);
      await netFailure(drain(busy.body));
    } finally {
      await backend.close();
    }
  });

  it("NET-1: an abort after the body ended is a no-op: the socket stays and is reused", async () => {
    const backend = makeBackend(name);
    try {
      server().handle((req, conn) => conn.write(clResponse(`got ${req.target}`)));
      const req = rawRequest(server().url("/a"));
      const res = await backend.request(req);
      await drain(res.body);
      req.abort();
      await res.dispose();
      expect((await fetchAll(backend, server().url("/b"))).body).toBe("got /b");
      const first = server().connections[0] as RawConn;
      expect(first.isClosed).toBe(false);
      if (name === "http1") expect(first.requests.map((r) => r.target)).toEqual(["/a", "/b"]);
    } finally {
      await backend.close();
    }
  });

  it("NET-1: dispose() while a read is pending settles that read and every later one (NetError), and drops the socket", async () => {
    const backend = makeBackend(name);
    try {
      server().handle((_req, conn) =>
        conn.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nab"),
      );
      const res = await backend.request(rawRequest(server().url("/a")));
      const it = res.body[Symbol.asyncIterator]();
      expect((await it.next()).done).toBe(false);
      const pending = it.next();
      pending.catch(() => {});
      await res.dispose();
      await netFailure(pending);
      await netFailure(it.next());
      await server().connections[0]?.closed;
    } finally {
      await backend.close();
    }
  });

  it("NET-1: dispose() twice and an abort after dispose() are harmless", async () => {
    const backend = makeBackend(name);
    try {
      server().handle((_req, conn) =>
        conn.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nab"),
      );
      const req = rawRequest(server().url("/a"));
      const res = await backend.request(req);
      await res.dispose();
      await res.dispose();
      req.abort();
      await server().connections[0]?.closed;
      expect(openSockets(backend) ?? 0).toBe(0);
    } finally {
      await backend.close();
    }
  });

  it("NET-1 CORE-4: a request after close() rejects with a NetError and opens no socket", async () => {
    const backend = makeBackend(name);
    server().handle((_req, conn) => conn.write(clResponse("x")));
    await backend.close();
    await netFailure(fetchAll(backend, server().url("/late")));
    expect(server().connections).toHaveLength(0);
  });
});
