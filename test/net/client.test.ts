import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetError } from "../../src/core/errors.js";
import { createHttpClient } from "../../src/net/index.js";
import type { HttpClient } from "../../src/net/types.js";
import { bodyBytes, startFaultServer } from "../support/fault-server.js";
import { BACKENDS, collect, recorder, rejection, useFaultServer } from "./helpers.js";

const server = useFaultServer();

function netErr(e: unknown): NetError {
  expect(e).toBeInstanceOf(NetError);
  return e as NetError;
}

describe.each(BACKENDS)("HttpClient over %s", (backend) => {
  let client: HttpClient;
  beforeAll(() => {
    client = createHttpClient({ backend, jitter: 0, backoffBaseMs: 0 });
  });
  afterAll(async () => {
    await client.close();
  });

  it("NET-1: getBytes, stream, getRange and head deliver exact bytes and lower-cased headers", async () => {
    const url = server().bytesUrl(11, 300_000);
    const want = bodyBytes(11, 300_000);
    const all = await client.getBytes(url);
    expect(all.status).toBe(200);
    expect(all.headers["content-type"]).toBe("application/octet-stream");
    expect(Buffer.compare(all.bytes, want)).toBe(0);

    const s = await client.stream(url);
    expect(s.expectedLength).toBe(300_000);
    expect(s.total).toBe(300_000);
    expect(s.partial).toBe(false);
    expect(s.consumed).toBe(0);
    const got = await collect(s.body);
    expect(Buffer.compare(got, want)).toBe(0);
    expect(s.consumed).toBe(300_000);

    const r = await client.getRange(url, { start: 1000, end: 200_000 });
    expect(r.status).toBe(206);
    expect(r.partial).toBe(true);
    expect(r.expectedLength).toBe(199_000);
    expect(r.total).toBe(300_000);
    expect(Buffer.compare(await collect(r.body), want.subarray(1000, 200_000))).toBe(0);
    expect(server().requests.at(-1)?.range).toBe("bytes=1000-199999");

    const open = await client.getRange(url, { start: 299_990 });
    expect(server().requests.at(-1)?.range).toBe("bytes=299990-");
    expect(Buffer.compare(await collect(open.body), want.subarray(299_990))).toBe(0);

    const h = await client.head(url);
    expect(h.status).toBe(200);
    expect(h.contentLength).toBe(300_000);
    expect(server().requests.at(-1)?.method).toBe("HEAD");
  });

  it("NET-1: consumed is live while the body is read", async () => {
    const s = await client.stream(server().bytesUrl(12, 100_000));
    const seen: number[] = [];
    let sum = 0;
    for await (const c of s.body) {
      sum += c.length;
      seen.push(s.consumed - sum);
    }
    expect(seen.every((d) => d === 0)).toBe(true);
    expect(s.consumed).toBe(100_000);
  });

  it("NET-7: asks for identity encoding, drops the caller's accept-encoding, rejects a compressed 2xx", async () => {
    const url = server().bytesUrl(13, 1000);
    await client.getBytes(url, { headers: { "Accept-Encoding": "gzip, br", "x-extra": "1" } });
    const req = server().requests.at(-1);
    expect(req?.headers["accept-encoding"]).toBe("identity");
    expect(req?.headers["x-extra"]).toBe("1");
    server().setFaults("*", { contentEncoding: "gzip" });
    const e = netErr(await rejection(client.getBytes(url)));
    expect(e.kind).toBe("Decode");
    expect(e.retryable).toBe(false);
    expect(netErr(await rejection(client.stream(url))).kind).toBe("Decode");
    server().setFaults("*", { contentEncoding: "identity" });
    expect((await client.getBytes(url)).bytes.length).toBe(1000);
  });

  it("NET-8: a non-accepted status is Status{code,url,body} with 200 characters and a truncation note", async () => {
    const url = server().bytesUrl(14, 10);
    server().setFaults("*", { status: 404, body: "x".repeat(5000) });
    const e = netErr(await rejection(client.getBytes(url)));
    expect(e.kind).toBe("Status");
    expect(e.status).toBe(404);
    expect(e.url).toBe(url);
    expect(e.body?.startsWith("x".repeat(200))).toBe(true);
    expect(e.body?.slice(200)).toMatch(/truncated/);
    expect(e.body?.slice(200).includes("x")).toBe(false);
    server().setFaults("*", { status: 403, body: "short reason" });
    const s = netErr(await rejection(client.stream(url)));
    expect(s.status).toBe(403);
    expect(s.body).toBe("short reason");
    expect(s.retryable).toBe(false);
  });

  it("NET-10: rejectHtml fails text/html in any case before any body byte is consumed", async () => {
    const url = server().bytesUrl(15, 1000);
    server().setFaults("*", { html: true });
    const e = netErr(await rejection(client.stream(url, { rejectHtml: true })));
    expect(e.kind).toBe("InvalidContentType");
    expect(e.retryable).toBe(false);
    server().setFaults("*", { contentType: "TEXT/HTML; charset=UTF-8" });
    expect(netErr(await rejection(client.getBytes(url, { rejectHtml: true }))).kind).toBe(
      "InvalidContentType",
    );
    // Without the validator an HTML page is just bytes.
    expect((await client.getBytes(url)).headers["content-type"]).toBe("TEXT/HTML; charset=UTF-8");
  });

  it("NET-12: a getBytes body above maxBodyBytes fails TooLarge without reading on", async () => {
    const small = createHttpClient({ backend, maxBodyBytes: 100_000 });
    try {
      const url = server().bytesUrl(16, 4_000_000, backend);
      const e = netErr(await rejection(small.getBytes(url)));
      expect(e.kind).toBe("TooLarge");
      expect(e.retryable).toBe(false);
      expect(server().gets(new URL(url).pathname)).toBe(1);
      // Unknown length (chunked): reading stops once the limit is passed.
      server().setFaults("*", { headers: { "content-length": null } });
      const url2 = server().bytesUrl(16, 4_000_000, `chunked-${backend}`);
      expect(netErr(await rejection(small.getBytes(url2))).kind).toBe("TooLarge");
      expect((await small.getBytes(server().bytesUrl(16, 100_000))).bytes.length).toBe(100_000);
    } finally {
      await small.close();
    }
  });

  it("NET-12: follows up to 5 redirects; a sixth, a loop or a non-http target fails", async () => {
    const target = server().bytesUrl(17, 500);
    for (let i = 0; i < 6; i++) server().redirect(`/hop${i}`, i === 0 ? target : `/hop${i - 1}`);
    const ok = await client.getBytes(server().url("/hop4"));
    expect(Buffer.compare(ok.bytes, bodyBytes(17, 500))).toBe(0);
    expect(ok.url).toBe(target);
    const s = await client.getRange(server().url("/hop4"), { start: 10, end: 20 });
    expect(Buffer.compare(await collect(s.body), bodyBytes(17, 500).subarray(10, 20))).toBe(0);
    const tooMany = netErr(await rejection(client.getBytes(server().url("/hop5"))));
    expect(tooMany.retryable).toBe(false);
    expect(tooMany.message).toMatch(/redirects/);

    const [a, b] = [`/loopA-${backend}`, `/loopB-${backend}`];
    server().redirect(a, b);
    server().redirect(b, a);
    const loop = netErr(await rejection(client.stream(server().url(a))));
    expect(loop.message).toMatch(/redirects/);
    expect(server().gets(a) + server().gets(b)).toBe(6);

    server().redirect("/toftp", "ftp://127.0.0.1/file");
    const ftp = netErr(await rejection(client.getBytes(server().url("/toftp"))));
    expect(ftp.kind).toBe("Unsupported");
    server().redirect("/tofile", "file:///etc/passwd");
    expect(netErr(await rejection(client.head(server().url("/tofile")))).kind).toBe("Unsupported");
    for (const bad of ["ftp://127.0.0.1/x", "file:///etc/passwd", "not a url", "data:,hi"]) {
      expect(netErr(await rejection(client.getBytes(bad))).kind).toBe("Unsupported");
    }
  });

  it("NET-13: HEAD returns headers only and fills content-length from a content-range total", async () => {
    const url = server().bytesUrl(18, 5000);
    const { log, observer } = recorder();
    const h = await client.head(url, { observer });
    expect(h.contentLength).toBe(5000);
    expect(log).toEqual([]); // NET-11: never firstByte for HEAD
    server().setFaults("*", {
      headers: {
        "content-length": null,
        "transfer-encoding": null,
        "content-range": "bytes 0-0/5000",
      },
    });
    const h2 = await client.head(server().bytesUrl(18, 5000, "cr"));
    expect(h2.headers["content-length"]).toBeUndefined();
    expect(h2.contentLength).toBe(5000);
    server().setFaults("*", { status: 404 });
    const e = netErr(await rejection(client.head(url)));
    expect(e.kind).toBe("Status");
    expect(e.status).toBe(404);
  });

  it("NET-1: bad ranges and a caller's validator give typed errors", async () => {
    const url = server().bytesUrl(19, 100);
    expect(netErr(await rejection(client.getRange(url, { start: 10, end: 10 }))).kind).toBe(
      "Unsupported",
    );
    expect(netErr(await rejection(client.getRange(url, { start: -1 }))).kind).toBe("Unsupported");
    const e = netErr(
      await rejection(
        client.stream(url, {
          validate: () => {
            throw new Error("nope");
          },
        }),
      ),
    );
    expect(e.kind).toBe("Decode");
    expect(e.message).toMatch(/nope/);
  });
});

describe.each(BACKENDS)("raw transport errors over %s", (backend) => {
  it("CORE-3 NET-3: a refused connection is a Network NetError, never a raw library error", async () => {
    const gone = await startFaultServer();
    const url = gone.bytesUrl(1, 10);
    await gone.close();
    const raw = createHttpClient({ backend, maxRetries: 0 });
    const retrying = createHttpClient({ backend, maxRetries: 1, jitter: 0 });
    try {
      const e = netErr(await rejection(raw.getBytes(url)));
      expect(e.kind).toBe("Network");
      expect(e.retryable).toBe(true);
      const s = netErr(await rejection(raw.stream(url)));
      expect(s.kind).toBe("Network");
      const r = netErr(await rejection(retrying.head(url)));
      expect(r.kind).toBe("RetryExhausted");
      expect(netErr(r.cause).kind).toBe("Network");
    } finally {
      await raw.close();
      await retrying.close();
    }
  });
});

describe("undici backend pool", () => {
  it("NET-1: one shared keep-alive pool: 20 sequential requests reuse a few connections", async () => {
    const client = createHttpClient();
    try {
      const before = server().requests.length;
      for (let i = 0; i < 20; i++) {
        if (i % 2) await client.getBytes(server().bytesUrl(20, 1000 + i));
        else await collect((await client.stream(server().bytesUrl(20, 50_000 + i))).body);
      }
      const mine = server().requests.slice(before);
      expect(mine.length).toBe(20);
      // Sequential requests reuse pooled keep-alive connections instead of one each.
      expect(new Set(mine.map((r) => r.remotePort)).size).toBeLessThanOrEqual(3);
    } finally {
      await client.close();
    }
  });
});
