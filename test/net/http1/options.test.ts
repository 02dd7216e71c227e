/**
 * Options of our own transport (createHttp1Backend): maxHeaderBytes for heads and trailer
 * sections, the `sockets` count, and the idle keep-alive timer on the injected clock
 * (keepAliveTimeoutMs and the server's Keep-Alive: timeout).
 */
import { describe, expect, it } from "vitest";
import { createHttp1Backend } from "../../../src/net/backend-http1.js";
import { SteppingClock, tick, until } from "../helpers.js";
import { fetchAll, networkFailure, rawRequest } from "./backends.js";
import { clResponse, type RawConn, RawServer, useRawServer } from "./raw-server.js";

const server = useRawServer();

/** A response head of exactly `size` bytes (status line + headers + blank line). */
function headOf(size: number, extra = ""): string {
  const base = `HTTP/1.1 200 OK\r\ncontent-length: 2\r\n${extra}x-pad: \r\n\r\n`;
  return base.replace("x-pad: ", `x-pad: ${"p".repeat(size - base.length)}`);
}

describe("NET-1 http1 options", () => {
  it("NET-1 NET-12: maxHeaderBytes bounds the head: a head at the limit passes, one byte more fails", async () => {
    const backend = createHttp1Backend({ maxHeaderBytes: 1024 });
    try {
      server().handle(async (req, conn) => {
        await conn.write(`${headOf(req.target === "/fits" ? 1024 : 1025)}ok`);
      });
      expect(headOf(1024)).toHaveLength(1024);
      expect((await fetchAll(backend, server().url("/fits"))).body).toBe("ok");
      const err = await networkFailure(fetchAll(backend, server().url("/over")));
      expect(err.message).toContain("invalid HTTP response");
      await server().requests.find((r) => r.target === "/over")?.conn.closed;
    } finally {
      await backend.close();
    }
  });

  it("NET-1 NET-12: the default head limit is 64 KiB", async () => {
    const backend = createHttp1Backend();
    try {
      server().handle(async (req, conn) => {
        await conn.write(`${headOf(req.target === "/fits" ? 65_536 : 65_537)}ok`);
      });
      expect((await fetchAll(backend, server().url("/fits"))).body).toBe("ok");
      const err = await networkFailure(fetchAll(backend, server().url("/over")));
      expect(err.message).toContain("invalid HTTP response");
    } finally {
      await backend.close();
    }
  });

  it("NET-1 NET-12: a trailer section past maxHeaderBytes fails the body with a Network error, whole or in pieces", async () => {
    const backend = createHttp1Backend({ maxHeaderBytes: 1024 });
    try {
      server().handle(async (req, conn) => {
        const trailer = `x-t: ${"t".repeat(req.target === "/small" ? 900 : 1_100)}\r\n`;
        await conn.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n");
        const rest = Buffer.from(`0\r\n${trailer}\r\n`);
        // "/pieces": 100-byte writes, so no single read holds the whole section.
        const cuts = req.target === "/pieces" ? Array.from({ length: 12 }, (_, i) => i * 100) : [];
        await conn.writePieces(rest, cuts);
      });
      expect((await fetchAll(backend, server().url("/small"))).body).toBe("ok");
      for (const path of ["/whole", "/pieces"]) {
        const err = await networkFailure(fetchAll(backend, server().url(path)));
        expect(err.message).toContain("invalid HTTP response");
      }
    } finally {
      await backend.close();
    }
  });

  it("NET-1 CORE-4: `sockets` counts open sockets over every origin, drops one the server closed, and drops to 0 after close()", async () => {
    const backend = createHttp1Backend();
    try {
      expect(backend.sockets).toBe(0);
      server().handle((req, conn) => conn.write(clResponse(req.target)));
      await Promise.all([1, 2, 3].map((i) => fetchAll(backend, server().url(`/${i}`))));
      expect(backend.sockets).toBe(server().open.length);
      expect(backend.sockets).toBe(3);
      const second = await RawServer.start();
      try {
        second.handle((req, conn) => conn.write(clResponse(req.target)));
        await fetchAll(backend, second.url("/4"));
        expect(backend.sockets).toBe(4);
      } finally {
        await second.close();
      }
      await until(() => backend.sockets === 3, "the other origin's socket closed by its server");
      await backend.close();
      expect(backend.sockets).toBe(0);
    } finally {
      await backend.close();
    }
  });

  it("NET-1 CORE-2: an idle socket closes exactly keepAliveTimeoutMs after its last response, on the injected clock", async () => {
    const clock = new SteppingClock();
    const backend = createHttp1Backend({ keepAliveTimeoutMs: 4_000, clock });
    try {
      server().handle((_req, conn) => conn.write(clResponse("x")));
      await fetchAll(backend, server().url("/x"));
      const conn = server().connections[0] as RawConn;
      await clock.advance(3_999);
      await tick();
      expect(conn.isClosed).toBe(false);
      expect((await fetchAll(backend, server().url("/again"))).body).toBe("x");
      expect(conn.requests).toHaveLength(2);
      // The timer restarts with each response.
      await clock.advance(3_999);
      await tick();
      expect(conn.isClosed).toBe(false);
      await clock.advance(1);
      await conn.closed;
      expect(backend.sockets).toBe(0);
      expect(clock.armed).toBe(0);
    } finally {
      await backend.close();
    }
  });

  it("NET-1: the idle timer never closes a busy socket: not mid-body, not while waiting for a head", async () => {
    const clock = new SteppingClock();
    const backend = createHttp1Backend({ keepAliveTimeoutMs: 4_000, clock });
    try {
      let releaseBody: () => void = () => {};
      const bodyGate = new Promise<void>((r) => {
        releaseBody = r;
      });
      let releaseHead: () => void = () => {};
      const headGate = new Promise<void>((r) => {
        releaseHead = r;
      });
      server().handle(async (req, conn) => {
        if (req.target === "/slow-body") {
          await conn.write("HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nabc");
          await bodyGate;
          await conn.write("def");
        } else {
          await headGate;
          await conn.write(clResponse("late head"));
        }
      });
      const res = await backend.request(rawRequest(server().url("/slow-body")));
      const it = res.body[Symbol.asyncIterator]();
      expect(Buffer.from((await it.next()).value ?? []).toString()).toBe("abc");
      await clock.advance(10_000);
      await tick();
      releaseBody();
      let rest = "";
      for (let r = await it.next(); !r.done; r = await it.next())
        rest += Buffer.from(r.value).toString();
      expect(rest).toBe("def");

      const late = fetchAll(backend, server().url("/slow-head"));
      await server().when(() => server().requests.length === 2);
      await clock.advance(10_000);
      await tick();
      releaseHead();
      expect((await late).body).toBe("late head");
      const conn = server().connections[0] as RawConn;
      expect(conn.isClosed).toBe(false);
      expect(conn.requests.map((r) => r.target)).toEqual(["/slow-body", "/slow-head"]);
    } finally {
      await backend.close();
    }
  });

  it("NET-1: a server's Keep-Alive timeout shorter than ours closes the idle socket by then", async () => {
    const clock = new SteppingClock();
    const backend = createHttp1Backend({ keepAliveTimeoutMs: 4_000, clock });
    try {
      server().handle((_req, conn) => conn.write(clResponse("x", "keep-alive: timeout=1\r\n")));
      await fetchAll(backend, server().url("/x"));
      const conn = server().connections[0] as RawConn;
      await clock.advance(1_000);
      await conn.closed;
      expect(backend.sockets).toBe(0);
    } finally {
      await backend.close();
    }
  });

  it("NET-1 CORE-4: after a stale-socket retry the retry's socket is counted, reused and closed by close()", async () => {
    const backend = createHttp1Backend();
    try {
      let dropped = false;
      server().handle(async (req, conn) => {
        if (!dropped && conn.requests.length > 1) {
          dropped = true;
          return conn.destroy();
        }
        await conn.write(clResponse(`got ${req.target}`));
      });
      await fetchAll(backend, server().url("/a"));
      expect((await fetchAll(backend, server().url("/b"))).body).toBe("got /b");
      expect(backend.sockets).toBe(1);
      expect((await fetchAll(backend, server().url("/c"))).body).toBe("got /c");
      expect(server().connections).toHaveLength(2);
      await backend.close();
      await Promise.all(server().connections.map((c) => c.closed));
    } finally {
      await backend.close();
    }
  });
});
