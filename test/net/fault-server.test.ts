import { request } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bodyBytes, burst, type FaultServer, startFaultServer } from "../support/fault-server.js";

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  error?: string;
}

function get(url: string, headers: Record<string, string> = {}, method = "GET"): Promise<Got> {
  return new Promise((resolve) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      const done = (error?: string) =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          ...(error ? { error } : {}),
        });
      res.on("end", () => done());
      res.on("error", (e) => done(e.message));
      res.on("aborted", () => done("aborted"));
    });
    req.on("error", (e) =>
      resolve({ status: 0, headers: {}, body: Buffer.alloc(0), error: e.message }),
    );
    req.end();
  });
}

describe("fault server (REL-1 support)", () => {
  let server: FaultServer;
  beforeEach(async () => {
    server = await startFaultServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it("REL-1: serves deterministic bytes, honours Range and HEAD", async () => {
    const a = bodyBytes(3, 1000);
    expect(bodyBytes(3, 10)).toEqual(a.subarray(0, 10));
    expect(bodyBytes(4, 10)).not.toEqual(a.subarray(0, 10));
    const full = await get(server.bytesUrl(3, 1000));
    expect(full.status).toBe(200);
    expect(new Uint8Array(full.body)).toEqual(a);
    const part = await get(server.bytesUrl(3, 1000), { range: "bytes=100-199" });
    expect(part.status).toBe(206);
    expect(part.headers["content-range"]).toBe("bytes 100-199/1000");
    expect(part.headers["content-length"]).toBe("100");
    expect(new Uint8Array(part.body)).toEqual(a.subarray(100, 200));
    const head = await get(server.bytesUrl(3, 1000), {}, "HEAD");
    expect(head.headers["content-length"]).toBe("1000");
    expect(head.body.length).toBe(0);
    expect(server.gets()).toBe(2);
  });

  it("REL-1: routes serve given bytes; bursts, resets and ignored ranges apply per plan", async () => {
    const url = server.route("/fixed", { body: new Uint8Array([1, 2, 3, 4]), contentType: "x/y" });
    server.setFaults("/fixed", [...burst(2, { status: 503, retryAfter: "1" }), { resetAfter: 2 }]);
    expect((await get(url)).status).toBe(503);
    expect((await get(url)).headers["retry-after"]).toBe("1");
    const reset = await get(url);
    expect(reset.error).toBeDefined();
    expect([...reset.body]).toEqual([1, 2]);
    const ok = await get(url);
    expect([...ok.body]).toEqual([1, 2, 3, 4]);
    server.setFaults("/fixed", { ignoreRange: true });
    const ign = await get(url, { range: "bytes=1-" });
    expect(ign.status).toBe(200);
    expect(ign.body.length).toBe(4);
    expect(server.bytesServed("/fixed")).toBe(9 + 9 + 2 + 4 + 4);
  });

  it("REL-1: a stall without end finishes when the server closes", async () => {
    server.setFaults("*", { stallBeforeHeadersMs: Number.POSITIVE_INFINITY });
    const pending = get(server.bytesUrl(1, 10));
    while (server.requests.length === 0) await new Promise((r) => setImmediate(r));
    await server.close();
    const res = await pending;
    expect(res.error).toBeDefined();
    expect(server.openSockets).toBe(0);
  });

  it("REL-1: slow drip sends the exact body no faster than the rate", async () => {
    server.setFaults("*", { dripBytesPerSec: 40_000 });
    const t0 = performance.now();
    const res = await get(server.bytesUrl(9, 12_000));
    expect(new Uint8Array(res.body)).toEqual(bodyBytes(9, 12_000));
    // 12 000 bytes at 40 kB/s go out in 2 000-byte chunks (rate / 20), the last one due 250 ms
    // after the first: a lower bound only (1 ms of timer slack), whatever the load.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(249);
  });

  it("REL-1: If-Range with a stale validator gets the full body; a changed ETag differs per answer", async () => {
    const url = server.bytesUrl(8, 100);
    const stale = await get(url, { range: "bytes=10-", "if-range": '"old"' });
    expect(stale.status).toBe(200);
    const fresh = await get(url, { range: "bytes=10-", "if-range": '"b8-100"' });
    expect(fresh.status).toBe(206);
    server.setFaults("*", { changeEtag: true });
    const a = await get(url);
    const b = await get(url);
    expect(a.headers.etag).not.toBe(b.headers.etag);
  });
});
