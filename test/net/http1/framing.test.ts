/**
 * NET-1 message framing over each backend: content-length, chunked, close-delimited, bodiless
 * responses and 1xx interim responses, scripted byte for byte by the raw server.
 */
import { describe, expect, it } from "vitest";
import { BACKENDS, fetchAll, makeBackend, networkFailure, sequentialSockets } from "./backends.js";
import { clResponse, type RawConn, useRawServer } from "./raw-server.js";

const server = useRawServer();

describe.each(BACKENDS)("NET-1 framing over %s", (name) => {
  it("NET-1: a content-length body is delivered exactly and the socket is reused", async () => {
    const backend = makeBackend(name);
    try {
      server().handle(async (req, conn) => {
        await conn.write(clResponse(`body of ${req.target}`));
      });
      expect((await fetchAll(backend, server().url("/a"))).body).toBe("body of /a");
      expect((await fetchAll(backend, server().url("/b"))).body).toBe("body of /b");
      expect(server().connections.length).toBeLessThanOrEqual(sequentialSockets(name));
    } finally {
      await backend.close();
    }
  });

  it("NET-1: a chunked body ignores chunk extensions and trailers, reads hex sizes in either case, and the socket is reused", async () => {
    const backend = makeBackend(name);
    try {
      const body26 = "abcdefghijklmnopqrstuvwxyz";
      server().handle(async (_req, conn) => {
        await conn.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        await conn.write("a;name=value\r\nabcdefghij\r\n");
        await conn.write(`A;x="y"\r\nklmnopqrst\r\n6\r\nuvwxyz\r\n`);
        await conn.write("0;last=1\r\nx-trailer: t\r\nx-other: u\r\n\r\n");
      });
      const first = await fetchAll(backend, server().url("/c1"));
      expect(first.body).toBe(body26);
      expect(first.res.headers["x-trailer"]).toBeUndefined();
      server().handle(async (_req, conn) => {
        await conn.write("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n1F\r\n");
        await conn.write(`${"z".repeat(0x1f)}\r\n1f\r\n${"y".repeat(0x1f)}\r\n0\r\n\r\n`);
      });
      expect((await fetchAll(backend, server().url("/c2"))).body).toBe(
        "z".repeat(31) + "y".repeat(31),
      );
      expect(server().connections.length).toBeLessThanOrEqual(sequentialSockets(name));
    } finally {
      await backend.close();
    }
  });

  it("NET-1: a body without content-length or transfer-encoding ends at EOF and its socket is not reused", async () => {
    const backend = makeBackend(name);
    try {
      server().handle(async (req, conn) => {
        if (req.target === "/eof") {
          await conn.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\npart one, ");
          await conn.write("part two");
          await conn.end();
        } else {
          await conn.write(clResponse("next"));
        }
      });
      expect((await fetchAll(backend, server().url("/eof"))).body).toBe("part one, part two");
      expect((await fetchAll(backend, server().url("/next"))).body).toBe("next");
      expect(server().connections).toHaveLength(2);
      expect(server().connections[1]?.requests.map((r) => r.target)).toEqual(["/next"]);
    } finally {
      await backend.close();
    }
  });

  it("NET-1: a HEAD response has no body even with a content-length", async () => {
    const backend = makeBackend(name);
    try {
      server().handle(async (req, conn) => {
        if (req.method === "HEAD")
          await conn.write(`HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n`);
        else await conn.write(clResponse("after"));
      });
      const head = await fetchAll(backend, server().url("/head"), "HEAD");
      expect([head.res.status, head.res.headers["content-length"], head.body]).toEqual([
        200,
        "1000",
        "",
      ]);
      expect((await fetchAll(backend, server().url("/after"))).body).toBe("after");
      const first = server().connections[0] as RawConn;
      if (name === "undici") {
        // undici never reuses a socket after a HEAD (it marks it for reset).
        await first.closed;
      } else {
        expect(first.requests.map((r) => r.target)).toEqual(["/head", "/after"]);
      }
    } finally {
      await backend.close();
    }
  });

  for (const [status, reason] of [
    [204, "No Content"],
    [304, "Not Modified"],
  ] as const) {
    it(`NET-1: a ${status} response has no body even with a content-length; the socket stays usable`, async () => {
      const backend = makeBackend(name);
      try {
        server().handle(async (req, conn) => {
          if (req.target === "/bodiless") {
            await conn.write(`HTTP/1.1 ${status} ${reason}\r\ncontent-length: 5\r\n\r\n`);
          } else await conn.write(clResponse("after"));
        });
        const p = fetchAll(backend, server().url("/bodiless"));
        if (name === "undici") {
          // undici waits for the 5 bytes, then reports a length mismatch (the content-length
          // of a 204/304 describes the representation, not this message).
          const err = await networkFailure(p);
          expect(err.message).toContain("content-length");
          return;
        }
        const { res, body } = await p;
        expect([res.status, body]).toEqual([status, ""]);
        expect((await fetchAll(backend, server().url("/after"))).body).toBe("after");
        expect(server().connections[0]?.requests.map((r) => r.target)).toEqual([
          "/bodiless",
          "/after",
        ]);
      } finally {
        await backend.close();
      }
    });
  }

  it("NET-1: 100 and 103 interim responses are skipped before the real response", async () => {
    const backend = makeBackend(name);
    try {
      server().handle(async (req, conn) => {
        if (req.target === "/100") await conn.write("HTTP/1.1 100 Continue\r\n\r\n");
        else if (req.target === "/103") {
          await conn.write("HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n");
        }
        await conn.write(clResponse(`final ${req.target}`, "x-final: yes\r\n"));
      });
      for (const path of ["/100", "/103"]) {
        const p = fetchAll(backend, server().url(path));
        if (name === "undici" && path === "/100") {
          // undici fails a 100 it did not ask for ("bad response").
          expect((await networkFailure(p)).message).toContain("bad response");
          continue;
        }
        const { res, body } = await p;
        if (name === "undici") {
          // undici hands the 103 head to the handler as the response (its body is the 200's).
          expect([res.status, res.headers.link]).toEqual([103, "</style.css>; rel=preload"]);
          continue;
        }
        expect([res.status, res.headers["x-final"], res.headers.link]).toEqual([
          200,
          "yes",
          undefined,
        ]);
        expect(body).toBe(`final ${path}`);
      }
      expect((await fetchAll(backend, server().url("/again"))).body).toBe("final /again");
    } finally {
      await backend.close();
    }
  });

  for (const [title, bytes, body] of [
    [
      "a content-length with leading zeros",
      "HTTP/1.1 200 OK\r\ncontent-length: 0003\r\n\r\nabc",
      "abc",
    ],
    [
      "a status line without a reason phrase",
      "HTTP/1.1 200\r\ncontent-length: 3\r\n\r\nabc",
      "abc",
    ],
    [
      "a status line with an empty reason phrase",
      "HTTP/1.1 200 \r\ncontent-length: 3\r\n\r\nabc",
      "abc",
    ],
    [
      "transfer-encoding in capitals",
      "HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      "abc",
    ],
    ["content-length 0", "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", ""],
    [
      "a 304 with transfer-encoding chunked",
      "HTTP/1.1 304 Not Modified\r\ntransfer-encoding: chunked\r\n\r\n",
      "",
    ],
    ["an unknown status 600", "HTTP/1.1 600 Odd\r\ncontent-length: 3\r\n\r\nabc", "abc"],
  ] as const) {
    it(`NET-1: ${title} is read and the socket stays usable`, async () => {
      const backend = makeBackend(name);
      try {
        server().handle((req, conn) =>
          conn.write(req.target === "/v" ? bytes : clResponse("after")),
        );
        expect((await fetchAll(backend, server().url("/v"))).body).toBe(body);
        expect((await fetchAll(backend, server().url("/after"))).body).toBe("after");
        expect(server().connections[0]?.isClosed).toBe(false);
        if (name === "http1") expect(server().connections).toHaveLength(1);
      } finally {
        await backend.close();
      }
    });
  }

  it("NET-1: a HEAD answered with transfer-encoding chunked has no body", async () => {
    const backend = makeBackend(name);
    try {
      server().handle((req, conn) =>
        conn.write(
          req.method === "HEAD"
            ? "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
            : clResponse("after"),
        ),
      );
      expect((await fetchAll(backend, server().url("/h"), "HEAD")).body).toBe("");
      expect((await fetchAll(backend, server().url("/after"))).body).toBe("after");
      // undici closes every socket after a HEAD (see above); ours keeps it.
      if (name === "http1") expect(server().connections).toHaveLength(1);
    } finally {
      await backend.close();
    }
  });
});
