/**
 * NET-1 header handling: response names lower-cased and repeats joined; the request head
 * (method, target, host with port, the caller's headers, never a body); IPv6 literal origins.
 */
import { networkInterfaces } from "node:os";
import { describe, expect, it } from "vitest";
import { BACKENDS, fetchAll, makeBackend, netFailure, networkFailure } from "./backends.js";
import { clResponse, RawServer, useRawServer } from "./raw-server.js";

const server = useRawServer();

const hasIpv6Loopback = Object.values(networkInterfaces())
  .flat()
  .some((i) => i?.address === "::1");

describe.each(BACKENDS)("NET-1 headers over %s", (name) => {
  it('NET-1: response header names are lower-cased and repeated headers joined with ", "', async () => {
    const backend = makeBackend(name);
    try {
      server().handle((_req, conn) =>
        conn.write(
          "HTTP/1.1 200 OK\r\nX-Multi: a\r\nx-multi: b\r\nSet-Cookie: c=1\r\nSET-COOKIE: d=2\r\n" +
            'Content-Type: text/plain\r\nETag: "v1"\r\nContent-Length: 2\r\n\r\nok',
        ),
      );
      const { res, body } = await fetchAll(backend, server().url("/h"));
      expect(body).toBe("ok");
      expect(res.headers).toEqual({
        "x-multi": "a, b",
        "set-cookie": "c=1, d=2",
        "content-type": "text/plain",
        etag: '"v1"',
        "content-length": "2",
      });
    } finally {
      await backend.close();
    }
  });

  it("NET-1: optional whitespace around header values is not part of the value", async () => {
    const backend = makeBackend(name);
    try {
      server().handle((_req, conn) =>
        conn.write(
          "HTTP/1.1 200 OK\r\nx-a:   b c  \r\nx-e:\r\nx-t:\tv\t\r\ncontent-length: 0\r\n\r\n",
        ),
      );
      const { res } = await fetchAll(backend, server().url("/ows"));
      if (name === "undici") {
        // undici (llhttp) drops the leading whitespace but keeps the trailing one.
        expect([res.headers["x-a"], res.headers["x-e"], res.headers["x-t"]]).toEqual([
          "b c  ",
          "",
          "v\t",
        ]);
      } else {
        expect([res.headers["x-a"], res.headers["x-e"], res.headers["x-t"]]).toEqual([
          "b c",
          "",
          "v",
        ]);
      }
    } finally {
      await backend.close();
    }
  });

  it("NET-1: obs-text bytes (0x80-0xFF) in a header value are kept, one character per byte", async () => {
    const backend = makeBackend(name);
    try {
      server().handle((_req, conn) =>
        conn.write("HTTP/1.1 200 OK\r\nx-a: caf\xe9 \xff\r\ncontent-length: 0\r\n\r\n"),
      );
      const { res } = await fetchAll(backend, server().url("/obs"));
      expect(res.headers["x-a"]).toBe("caf\u00e9 \u00ff");
    } finally {
      await backend.close();
    }
  });

  for (const [title, headers] of [
    ["a CRLF in a value", { "x-a": "1\r\nx-injected: 1" }],
    ["a bare LF in a value", { "x-a": "1\nx-injected: 1" }],
    ["a NUL in a value", { "x-a": "a\0b" }],
    ["a space in a name", { "bad name": "v" }],
  ] as const) {
    it(`NET-1: a caller header with ${title} is refused (Unsupported) before any byte is sent`, async () => {
      const backend = makeBackend(name);
      try {
        server().handle((_req, conn) => conn.write(clResponse("ok")));
        const err = await netFailure(fetchAll(backend, server().url("/inject"), "GET", headers));
        expect(err.kind).toBe("Unsupported");
        expect(server().requests).toHaveLength(0);
      } finally {
        await backend.close();
      }
    });
  }

  for (const method of ["GET", "HEAD"] as const) {
    it(`NET-1 NET-7: a ${method} sends its target, host with the port, the caller's headers, and no body`, async () => {
      const backend = makeBackend(name);
      try {
        server().handle((_req, conn) => conn.write(clResponse(method === "HEAD" ? "" : "ok")));
        const caller = { "accept-encoding": "identity", range: "bytes=5-", "x-caller": "v 1" };
        await fetchAll(backend, server().url("/a%20b/c?x=1&y=%2F"), method, caller);
        const [req] = server().requests;
        expect(req?.method).toBe(method);
        expect(req?.target).toBe("/a%20b/c?x=1&y=%2F");
        expect(req?.version).toBe("HTTP/1.1");
        expect(req?.headers.host).toBe(`127.0.0.1:${server().port}`);
        expect(req?.headers).toMatchObject(caller);
        expect(req?.headers["content-length"] ?? "0").toBe("0");
        expect(req?.headers["transfer-encoding"]).toBeUndefined();
        // Nothing but the head went over the wire.
        expect(req?.conn.received.toString("latin1")).toBe(req?.raw);
      } finally {
        await backend.close();
      }
    });
  }

  it("NET-1: the request target is the URL's path and query: no fragment, no userinfo, '/' for an empty path, non-ASCII percent-encoded", async () => {
    const backend = makeBackend(name);
    try {
      server().handle((_req, conn) => conn.write(clResponse("ok")));
      const origin = `127.0.0.1:${server().port}`;
      const cases = [
        [`http://${origin}/p?q=1#frag`, "/p?q=1"],
        [`http://${origin}`, "/"],
        [`http://${origin}?x=1`, "/?x=1"],
        [`http://user:pw@${origin}/u`, "/u"],
        [`http://${origin}/%E2%82%AC/ä b`, "/%E2%82%AC/%C3%A4%20b"],
      ] as const;
      for (const [url] of cases) await fetchAll(backend, url);
      expect(server().requests.map((r) => r.target)).toEqual(cases.map(([, target]) => target));
      for (const r of server().requests) {
        expect(r.headers.host).toBe(origin);
        expect(r.headers.authorization).toBeUndefined();
      }
    } finally {
      await backend.close();
    }
  });

  if (hasIpv6Loopback) {
    it("NET-1: an IPv6 literal origin http://[::1]:port/ works and sends host [::1]:port", async () => {
      const v6 = await RawServer.start({ host: "::1" });
      const backend = makeBackend(name);
      try {
        v6.handle((_req, conn) => conn.write(clResponse("over v6")));
        const url = `http://[::1]:${v6.port}/six`;
        expect((await fetchAll(backend, url)).body).toBe("over v6");
        expect(v6.requests[0]?.headers.host).toBe(`[::1]:${v6.port}`);
        expect(v6.requests[0]?.target).toBe("/six");
      } finally {
        await backend.close();
        await v6.close();
      }
    });
  } else {
    it("NET-1: without an IPv6 loopback, http://[::1]:port/ fails with a Network error", async () => {
      const backend = makeBackend(name);
      try {
        await networkFailure(fetchAll(backend, `http://[::1]:${server().port}/six`));
      } finally {
        await backend.close();
      }
    });
  }
});
