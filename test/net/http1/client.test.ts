/**
 * The transport under the HttpClient (`createHttpClient({ backend })`): redirects (NET-12),
 * resume after a mid-body close (NET-9), the inactivity timeout on a stalled body (NET-2),
 * accept-encoding (NET-7), the body limit on an endless body (NET-12), keep-alive through
 * the client, and http1 as the default backend.
 */
import { describe, expect, it } from "vitest";
import { NetError } from "../../../src/core/errors.js";
import { createHttpClient } from "../../../src/net/index.js";
import { collect, pump, recorder, rejection, SteppingClock, until } from "../helpers.js";
import { BACKENDS, sequentialSockets } from "./backends.js";
import { clResponse, type RawConn, useRawServer } from "./raw-server.js";

const server = useRawServer();

const LEN = 10_000;
const CONTENT = Buffer.from(Array.from({ length: LEN }, (_, i) => (i * 7 + 3) & 0xff));

describe.each(BACKENDS)("the HttpClient over %s", (name) => {
  const backend = name;

  it("NET-12 NET-1: redirects are followed over the transport to the final URL; a redirect body does not poison the socket", async () => {
    const client = createHttpClient({ backend, jitter: 0, maxRetries: 0 });
    try {
      server().handle(async (req, conn) => {
        if (req.target === "/r1") {
          await conn.write(
            `HTTP/1.1 301 Moved\r\nlocation: /r2\r\ncontent-length: 9\r\n\r\ngo to /r2`,
          );
        } else if (req.target === "/r2") {
          await conn.write(
            `HTTP/1.1 302 Found\r\nlocation: ${server().url("/final?x=1")}\r\ntransfer-encoding: chunked\r\n\r\n5\r\nthere\r\n0\r\n\r\n`,
          );
        } else await conn.write(clResponse(`at ${req.target}`));
      });
      const res = await client.getBytes(server().url("/r1"));
      expect(Buffer.from(res.bytes).toString()).toBe("at /final?x=1");
      expect(res.url).toBe(server().url("/final?x=1"));
      expect(server().requests.map((r) => r.target)).toEqual(["/r1", "/r2", "/final?x=1"]);
      expect(server().connections.length).toBeLessThanOrEqual(sequentialSockets(name) + 1);
    } finally {
      await client.close();
    }
  });

  for (const chunked of [false, true]) {
    it(`NET-9 NET-1: a ${chunked ? "chunked" : "content-length"} body cut by the server mid-way resumes with a range request and if-range; no byte twice`, async () => {
      const clock = new SteppingClock();
      const client = createHttpClient({ backend, jitter: 0, clock });
      try {
        server().handle(async (req, conn) => {
          const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
          if (!range) {
            const framing = chunked
              ? `transfer-encoding: chunked\r\netag: "v1"\r\n\r\n${LEN.toString(16)}\r\n`
              : `content-length: ${LEN}\r\netag: "v1"\r\n\r\n`;
            await conn.write(`HTTP/1.1 200 OK\r\n${framing}`);
            await conn.write(CONTENT.subarray(0, 4_000));
            return conn.destroy();
          }
          const from = Number(range[1]);
          await conn.write(
            `HTTP/1.1 206 Partial Content\r\ncontent-range: bytes ${from}-${LEN - 1}/${LEN}\r\n` +
              `content-length: ${LEN - from}\r\netag: "v1"\r\n\r\n`,
          );
          await conn.write(CONTENT.subarray(from));
        });
        const { hooks, observer } = recorder();
        const s = await client.stream(server().url("/media"), { observer });
        const body = await pump(clock, collect(s.body));
        expect(Buffer.from(body).equals(CONTENT)).toBe(true);
        expect(hooks()).toEqual(["firstByte", "firstByte", "bodyResumed"]);
        const resume = server().requests[1];
        expect(resume?.headers.range).toBe("bytes=4000-");
        expect(resume?.headers["if-range"]).toBe('"v1"');
        expect(server().connections[0]?.requests).toHaveLength(1);
      } finally {
        await client.close();
      }
    });
  }

  it("NET-2 NET-9: a stalled body times out after exactly the inactivity timeout, its socket is dropped, and the body resumes", async () => {
    const clock = new SteppingClock();
    const client = createHttpClient({ backend, jitter: 0, clock, inactivityTimeoutMs: 1_000 });
    try {
      server().handle(async (req, conn) => {
        if (req.headers.range === undefined) {
          await conn.write(`HTTP/1.1 200 OK\r\ncontent-length: ${LEN}\r\netag: "v1"\r\n\r\n`);
          await conn.write(CONTENT.subarray(0, 2_500)); // then stalls, socket open
          return;
        }
        await conn.write(
          `HTTP/1.1 206 Partial Content\r\ncontent-range: bytes 2500-${LEN - 1}/${LEN}\r\n` +
            `content-length: ${LEN - 2_500}\r\netag: "v1"\r\n\r\n`,
        );
        await conn.write(CONTENT.subarray(2_500));
      });
      const { hooks, log, observer } = recorder();
      const s = await client.stream(server().url("/stall"), { observer });
      const reading = collect(s.body);
      reading.catch(() => {});
      await until(() => s.consumed === 2_500, "the first 2500 bytes");
      await clock.advance(999);
      expect(hooks()).toEqual(["firstByte"]);
      await clock.advance(1);
      const body = await pump(clock, reading);
      expect(Buffer.from(body).equals(CONTENT)).toBe(true);
      expect(hooks()).toEqual(["firstByte", "bodyStalled", "firstByte", "bodyResumed"]);
      expect(log[1]?.info).toEqual({ consumed: 2_500, expected: LEN, stall: 1_000 });
      // The stalled socket is not kept: it could still deliver the rest of the old body.
      await (server().connections[0] as RawConn).closed;
      expect(server().connections[0]?.requests).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it("NET-1 CORE-4: a caller's signal aborting mid-body ends the body with Cancelled and closes its socket; the client stays usable", async () => {
    const client = createHttpClient({ backend, maxRetries: 0 });
    try {
      server().handle(async (req, conn) => {
        if (req.target === "/long")
          await conn.write(`HTTP/1.1 200 OK\r\ncontent-length: ${LEN}\r\n\r\nxyz`);
        else await conn.write(clResponse("after"));
      });
      const ctrl = new AbortController();
      const s = await client.stream(server().url("/long"), { signal: ctrl.signal });
      const reading = collect(s.body);
      reading.catch(() => {});
      await until(() => s.consumed === 3, "the first bytes");
      ctrl.abort();
      const err = (await rejection(reading)) as NetError;
      expect(err.kind).toBe("Cancelled");
      await (server().connections[0] as RawConn).closed;
      expect(Buffer.from((await client.getBytes(server().url("/after"))).bytes).toString()).toBe(
        "after",
      );
    } finally {
      await client.close();
    }
  });

  it("CORE-4 NET-1: client.close() mid-body and mid-head ends both with Cancelled and closes their sockets", async () => {
    const client = createHttpClient({ backend, maxRetries: 0 });
    server().handle(async (req, conn) => {
      if (req.target === "/body")
        await conn.write(`HTTP/1.1 200 OK\r\ncontent-length: ${LEN}\r\n\r\nxyz`);
    });
    const s = await client.stream(server().url("/body"));
    const reading = collect(s.body);
    reading.catch(() => {});
    const head = client.getBytes(server().url("/head"));
    head.catch(() => {});
    await server().when(() => server().requests.length === 2);
    await client.close();
    for (const p of [reading, head]) {
      const err = (await rejection(p)) as NetError;
      expect(err).toBeInstanceOf(NetError);
      expect(err.kind).toBe("Cancelled");
    }
    await Promise.all(server().connections.map((c) => c.closed));
  });

  it("NET-1 NET-8: a 204 carrying content-length is an empty body (not retried); a 304 carrying one is a Status error with an empty body", async () => {
    // Retries on for http1 (none may happen); off for undici, which fails both.
    const client = createHttpClient({ backend, maxRetries: name === "undici" ? 0 : 3 });
    try {
      server().handle((req, conn) =>
        conn.write(`HTTP/1.1 ${req.target.slice(1)} X\r\ncontent-length: 5\r\n\r\n`),
      );
      const noContent = client.getBytes(server().url("/204"));
      noContent.catch(() => {});
      const notModified = (await rejection(client.getBytes(server().url("/304")))) as NetError;
      if (name === "undici") {
        // undici itself fails both (framing.test.ts).
        expect(((await rejection(noContent)) as NetError).kind).toBe("Network");
        expect(notModified.kind).toBe("Network");
        return;
      }
      const res = await noContent;
      expect([res.status, res.bytes.length]).toEqual([204, 0]);
      expect(server().requests.map((r) => r.target)).toEqual(["/204", "/304"]);
      expect([notModified.kind, notModified.status, notModified.body]).toEqual(["Status", 304, ""]);
    } finally {
      await client.close();
    }
  });

  it("NET-7: requests ask for accept-encoding identity; a gzip-encoded 200 is a Decode error", async () => {
    const client = createHttpClient({ backend, maxRetries: 0 });
    try {
      server().handle((_req, conn) => conn.write(clResponse("zz", "content-encoding: gzip\r\n")));
      const err = (await rejection(
        client.getBytes(server().url("/gz"), { headers: { "accept-encoding": "gzip, br" } }),
      )) as NetError;
      expect(err).toBeInstanceOf(NetError);
      expect(err.kind).toBe("Decode");
      expect(server().requests[0]?.headers["accept-encoding"]).toBe("identity");
    } finally {
      await client.close();
    }
  });

  it("NET-12: getBytes of an endless chunked body stops at maxBodyBytes with TooLarge and drops the socket", async () => {
    const client = createHttpClient({ backend, maxRetries: 0, maxBodyBytes: 64 * 1024 });
    try {
      server().handle(async (_req, conn) => {
        await conn.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        const chunk = `4000\r\n${"c".repeat(0x4000)}\r\n`;
        while (!conn.gone && conn.written < 256 * 1024 * 1024) await conn.write(chunk);
      });
      const err = (await rejection(client.getBytes(server().url("/endless")))) as NetError;
      expect(err.kind).toBe("TooLarge");
      const conn = server().connections[0] as RawConn;
      await conn.closed;
      expect(conn.written).toBeLessThan(32 * 1024 * 1024);
    } finally {
      await client.close();
    }
  });

  it("NET-1: 30 sequential getBytes/stream/getRange/head calls keep one socket", async () => {
    const client = createHttpClient({ backend });
    try {
      server().handle(async (req, conn) => {
        const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
        if (req.method === "HEAD") {
          await conn.write(`HTTP/1.1 200 OK\r\ncontent-length: ${LEN}\r\n\r\n`);
        } else if (range) {
          const from = Number(range[1]);
          await conn.write(
            `HTTP/1.1 206 Partial Content\r\ncontent-range: bytes ${from}-${LEN - 1}/${LEN}\r\n` +
              `content-length: ${LEN - from}\r\n\r\n`,
          );
          await conn.write(CONTENT.subarray(from));
        } else await conn.write(clResponse(CONTENT));
      });
      const url = server().url("/f");
      for (let i = 0; i < 30; i++) {
        if (i % 4 === 0)
          expect(Buffer.from((await client.getBytes(url)).bytes).equals(CONTENT)).toBe(true);
        else if (i % 4 === 1) {
          const s = await client.stream(url);
          expect(Buffer.from(await collect(s.body)).equals(CONTENT)).toBe(true);
          await s.dispose();
        } else if (i % 4 === 2) {
          const r = await client.getRange(url, { start: 100 });
          expect(Buffer.from(await collect(r.body)).equals(CONTENT.subarray(100))).toBe(true);
          await r.dispose();
        } else expect((await client.head(url)).contentLength).toBe(LEN);
      }
      expect(server().requests).toHaveLength(30);
      // undici: besides its two alternating sockets, it drops the socket after every HEAD.
      if (name === "http1") expect(server().connections).toHaveLength(1);
      else expect(server().connections.length).toBeLessThanOrEqual(2 + 7);
    } finally {
      await client.close();
    }
  });
});

describe("the default HttpClient backend", () => {
  it("NET-1: is http1 (an interim 100 Continue, which undici fails as a bad response, is skipped)", async () => {
    const client = createHttpClient({ maxRetries: 0 });
    try {
      server().handle(async (_req, conn) => {
        await conn.write("HTTP/1.1 100 Continue\r\n\r\n");
        await conn.write(clResponse("after 100"));
      });
      const res = await client.getBytes(server().url("/100"));
      expect(Buffer.from(res.bytes).toString()).toBe("after 100");
    } finally {
      await client.close();
    }
  });
});
