import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetError } from "../../src/core/errors.js";
import { createHttpClient } from "../../src/net/index.js";
import type { HttpClient } from "../../src/net/types.js";
import { bodyBytes, type FaultPlan } from "../support/fault-server.js";
import { BACKENDS, collect, rejection, useFaultServer } from "./helpers.js";

const server = useFaultServer();

describe.each(BACKENDS)("NET-6 range validation over %s", (backend) => {
  let client: HttpClient;
  let n = 0;
  const path = () => `/bytes/31/10000/${backend}-${++n}`;
  beforeAll(() => {
    client = createHttpClient({ backend, jitter: 0 });
  });
  afterAll(async () => {
    await client.close();
  });

  async function fails(plan: FaultPlan, range: { start: number; end?: number } | undefined) {
    const p = path();
    server().setFaults(p, plan);
    const op = range ? client.getRange(server().url(p), range) : client.stream(server().url(p));
    const e = (await rejection(op)) as NetError;
    expect(e).toBeInstanceOf(NetError);
    expect(e.retryable).toBe(false);
    expect(server().gets(p)).toBe(1);
    return e;
  }

  it("NET-6: without a range, a content-range is Decode and a 206 is Status", async () => {
    expect(
      (await fails({ headers: { "content-range": "bytes 0-9999/10000" } }, undefined)).kind,
    ).toBe("Decode");
    const e = await fails({ okStatus: 206 }, undefined);
    expect(e.kind).toBe("Status");
    expect(e.status).toBe(206);
    // Any other 2xx is accepted as the whole body.
    const p203 = path();
    server().setFaults(p203, { okStatus: 203 });
    expect((await client.getBytes(server().url(p203))).bytes.length).toBe(10000);
    // getBytes applies the same rule.
    server().setFaults("*", { headers: { "content-range": "bytes 0-9999/10000" } });
    expect(((await rejection(client.getBytes(server().url(path())))) as NetError).kind).toBe(
      "Decode",
    );
  });

  it("NET-6: a 200 without content-range to a range request delivers the full body", async () => {
    const p = path();
    server().setFaults(p, { ignoreRange: true });
    const s = await client.getRange(server().url(p), { start: 100, end: 200 });
    expect(s.status).toBe(200);
    expect(s.partial).toBe(false);
    expect(s.expectedLength).toBe(10000);
    expect(Buffer.compare(await collect(s.body), bodyBytes(31, 10000))).toBe(0);
  });

  it("NET-6: other 2xx, or 200 with content-range, to a range request is Decode", async () => {
    expect((await fails({ okStatus: 203 }, { start: 5, end: 10 })).kind).toBe("Decode");
    const e = await fails(
      { ignoreRange: true, headers: { "content-range": "bytes 0-9999/10000" } },
      { start: 5, end: 10 },
    );
    expect(e.kind).toBe("Decode");
  });

  it("NET-6: every malformed 206 is Decode", async () => {
    const r = { start: 100, end: 200 };
    const cases: FaultPlan[] = [
      { contentRange: "missing" },
      { contentRange: "wrong" },
      { contentRange: "bytes abc" },
      { contentRange: (s, _e, t) => `bytes ${s}-${s - 1}/${t}` },
      { contentRange: (s, e, t) => `bytes ${s}-${e + 5}/${t}` },
      { contentRange: (s, e) => `bytes ${s}-${e}/*` },
      { contentRange: (s, e) => `bytes ${s}-${e}/${e}` },
      { contentRange: (s, e, t) => `bytes ${s}-${e - 1}/${t}` }, // content-length != span
      { truncateAfter: 50, honestLength: true }, // honest truncation: length != span
    ];
    for (const plan of cases) {
      const e = await fails(plan, r);
      expect(e.kind, JSON.stringify(plan.contentRange?.toString())).toBe("Decode");
    }
  });

  it("NET-6: a valid 206 may end before the asked end (open-ended range)", async () => {
    const s = await client.getRange(server().url(path()), { start: 9000 });
    expect(s.partial).toBe(true);
    expect(s.expectedLength).toBe(1000);
    expect(Buffer.compare(await collect(s.body), bodyBytes(31, 10000).subarray(9000))).toBe(0);
  });
});
