import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetError } from "../../src/core/errors.js";
import { createHttpClient } from "../../src/net/index.js";
import type { HttpClient, StreamResponse } from "../../src/net/types.js";
import { bodyBytes, burst } from "../support/fault-server.js";
import {
  BACKENDS,
  collect,
  pump,
  recorder,
  rejection,
  SteppingClock,
  tick,
  until,
  useFaultServer,
} from "./helpers.js";

const server = useFaultServer();

const LEN = 200_000;
const SEED = 41;
const WANT = bodyBytes(SEED, LEN);

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

describe.each(BACKENDS)("NET-9 resumable body over %s", (backend) => {
  let clock: SteppingClock;
  let client: HttpClient;
  let n = 0;
  const path = () => `/bytes/${SEED}/${LEN}/${backend}-${++n}`;
  beforeAll(() => {
    clock = new SteppingClock();
    client = createHttpClient({ backend, jitter: 0, clock });
  });
  afterAll(async () => {
    await client.close();
  });

  it("NET-9 NET-11: a reset mid-body resumes at the consumed offset, byte-exact", async () => {
    const p = path();
    server().setFaults(p, [{ resetAfter: 50_000 }]);
    const { log, observer, hooks } = recorder();
    let consumedAtResume = -1;
    let s: StreamResponse | undefined;
    observer.bodyResumed = (info) => {
      consumedAtResume = s?.consumed ?? -1;
      log.push({ hook: "bodyResumed", info });
    };
    s = await client.getRange(server().url(p), { start: 1000, end: 190_000 }, { observer });
    const got = await pump(clock, collect(s.body));
    expect(same(got, WANT.subarray(1000, 190_000))).toBe(true);
    expect(s.consumed).toBe(189_000);
    // The resume's own firstByte comes when its headers arrive, before bodyResumed.
    expect(hooks()).toEqual(["firstByte", "firstByte", "bodyResumed"]);
    const resumed = log[2]?.info;
    expect(consumedAtResume).toBeGreaterThanOrEqual(0);
    expect(consumedAtResume).toBeLessThanOrEqual(50_000);
    expect(resumed).toEqual({
      resumeNumber: 1,
      fromOffset: 1000 + consumedAtResume,
      honouredRange: true,
    });
    const reqs = server().requestsTo(p);
    expect(reqs.map((r) => r.range)).toEqual([
      "bytes=1000-189999",
      `bytes=${1000 + consumedAtResume}-189999`,
    ]);
    expect(reqs[1]?.headers["if-range"]).toBe(`"b${SEED}-${LEN}"`);
    expect(log[1]?.info).toMatchObject({ status: 206, partial: true });
  });

  it("NET-9: a 200 answer to a resume has its prefix skipped: no byte twice", async () => {
    const p = path();
    server().setFaults(p, [{ resetAfter: 30_000 }, { ignoreRange: true }]);
    const { log, observer } = recorder();
    const s = await client.getRange(server().url(p), { start: 5000, end: 150_000 }, { observer });
    const got = await pump(clock, collect(s.body));
    expect(same(got, WANT.subarray(5000, 150_000))).toBe(true);
    expect(log.find((l) => l.hook === "bodyResumed")?.info.honouredRange).toBe(false);
    // Also for a plain stream (the first answer was a 200).
    const p2 = path();
    server().setFaults(p2, [{ resetAfter: 70_000 }, { ignoreRange: true }]);
    const s2 = await client.stream(server().url(p2));
    expect(same(await pump(clock, collect(s2.body)), WANT)).toBe(true);
    expect(server().requestsTo(p2)[1]?.range).toMatch(/^bytes=\d+-$/);
  });

  it("NET-9: an early clean EOF (dishonest content-length) resumes", async () => {
    const p = path();
    server().setFaults(p, [{ truncateAfter: 40_000 }]);
    const s = await client.stream(server().url(p));
    expect(same(await pump(clock, collect(s.body)), WANT)).toBe(true);
    expect(server().gets(p)).toBe(2);
    expect(server().requestsTo(p)[1]?.range).toBe("bytes=40000-");
  });

  it("NET-9: the delivered stream never exceeds the original response's length", async () => {
    const p = path();
    server().setFaults(p, [{ resetAfter: 500 }, { ignoreRange: true }]);
    const s = await client.getRange(server().url(p), { start: 0, end: 1000 });
    const got = await pump(clock, collect(s.body));
    expect(same(got, WANT.subarray(0, 1000))).toBe(true);
  });

  it("NET-9: a resume whose total differs, or vanished, is Decode", async () => {
    const p = path();
    server().setFaults(p, [
      { resetAfter: 20_000 },
      { contentRange: (s, e, t) => `bytes ${s}-${e}/${t + 1}` },
    ]);
    const s = await client.stream(server().url(p));
    const e = (await rejection(pump(clock, collect(s.body)))) as NetError;
    expect(e).toBeInstanceOf(NetError);
    expect(e.kind).toBe("Decode");
    expect(e.message).toMatch(/length changed/);
    expect(server().gets(p)).toBe(2);

    const p2 = path();
    server().setFaults(p2, [
      { resetAfter: 20_000 },
      { ignoreRange: true, headers: { "content-length": null } },
    ]);
    const s2 = await client.getRange(server().url(p2), { start: 10 });
    const e2 = (await rejection(pump(clock, collect(s2.body)))) as NetError;
    expect(e2.kind).toBe("Decode");
    expect(server().gets(p2)).toBe(2);
  });

  it("NET-9: a resume request that fails transiently is retried within the same budget", async () => {
    const p = path();
    server().setFaults(p, [{ resetAfter: 60_000 }, { status: 503 }, { status: 500 }]);
    const { log, observer } = recorder();
    const s = await client.stream(server().url(p), { observer });
    expect(same(await pump(clock, collect(s.body)), WANT)).toBe(true);
    expect(server().gets(p)).toBe(4);
    expect(log.filter((l) => l.hook === "bodyResumed").map((l) => l.info.resumeNumber)).toEqual([
      3,
    ]);
    // 503 + 500 at resumes 1 and 2 used the budget; a fourth failure would exhaust it.
    const p2 = path();
    server().setFaults(p2, [{ resetAfter: 60_000 }, ...burst(3, { status: 503 })]);
    const r2 = recorder();
    const s2 = await client.stream(server().url(p2), { observer: r2.observer });
    const e = (await rejection(pump(clock, collect(s2.body)))) as NetError;
    expect(e.kind).toBe("RetryExhausted");
    expect((e.cause as NetError).status).toBe(503);
    const ex = r2.log.find((l) => l.hook === "retryExhausted")?.info;
    expect(ex?.consumed).toBe(s2.consumed);
    expect(ex?.maxRetries).toBe(3);
  });

  it("NET-9: resumes stop with RetryExhausted after maxRetries resumes", async () => {
    const p = path();
    server().setFaults(p, { resetAfter: 10_000 });
    const { log, observer, hooks } = recorder();
    const s = await client.stream(server().url(p), { observer });
    const e = (await rejection(pump(clock, collect(s.body)))) as NetError;
    expect(e.kind).toBe("RetryExhausted");
    expect(server().gets(p)).toBe(4);
    expect(hooks().filter((h) => h === "bodyResumed").length).toBe(3);
    expect(hooks().at(-1)).toBe("retryExhausted");
    expect(log.at(-1)?.info.consumed).toBe(s.consumed);
    const resumes = log.filter((l) => l.hook === "bodyResumed");
    expect(resumes.map((l) => l.info.resumeNumber)).toEqual([1, 2, 3]);
  });

  it("NET-2 NET-9: a stalled body reports bodyStalled after the inactivity timeout and resumes", async () => {
    const p = path();
    server().setFaults(p, [{ stallAfter: 20_000 }]);
    const { log, observer, hooks } = recorder();
    const s = await client.stream(server().url(p), { observer });
    const chunks: Uint8Array[] = [];
    const reading = (async () => {
      for await (const c of s.body) chunks.push(c);
    })();
    reading.catch(() => {});
    await until(() => s.consumed === 20_000, "the first 20000 bytes");
    const t0 = clock.now();
    await clock.advance(29_999);
    expect(hooks()).toEqual(["firstByte"]);
    await clock.advance(1);
    await pump(clock, reading);
    expect(same(new Uint8Array(Buffer.concat(chunks)), WANT)).toBe(true);
    expect(hooks()).toEqual(["firstByte", "bodyStalled", "firstByte", "bodyResumed"]);
    expect(log[1]?.info).toEqual({ consumed: 20_000, expected: LEN, stall: 30_000 });
    expect(clock.now() - t0).toBe(30_000);
    expect(server().requestsTo(p)[1]?.range).toBe("bytes=20000-");
  });

  it("NET-9: cancel during the resume backoff ends the body with Cancelled", async () => {
    const p = path();
    server().setFaults(p, [{ resetAfter: 10_000 }, { status: 503 }]);
    const ctrl = new AbortController();
    const { hooks, observer } = recorder();
    const s = await client.stream(server().url(p), { signal: ctrl.signal, observer });
    const reading = collect(s.body);
    reading.catch(() => {});
    // Resume 1 (0 ms backoff) gets the 503; resume 2 then sleeps 100 ms.
    while (server().gets(p) < 2 || clock.nextDueIn() !== 100) {
      const d = clock.nextDueIn();
      if (d === 0) await clock.advance(0);
      else await tick();
    }
    ctrl.abort();
    const e = (await rejection(reading)) as NetError;
    expect(e.kind).toBe("Cancelled");
    expect(server().gets(p)).toBe(2);
    expect(hooks()).not.toContain("retryExhausted");
  });

  it("NET-9: cancel during a refetch ends the body with Cancelled", async () => {
    const p = path();
    server().setFaults(p, [
      { resetAfter: 10_000 },
      { stallBeforeHeadersMs: Number.POSITIVE_INFINITY },
    ]);
    const ctrl = new AbortController();
    const s = await client.stream(server().url(p), { signal: ctrl.signal });
    const reading = pump(clock, collect(s.body));
    reading.catch(() => {});
    await until(() => server().gets(p) === 2, "the resume request");
    ctrl.abort();
    const e = (await rejection(reading)) as NetError;
    expect(e.kind).toBe("Cancelled");
  });

  it("NET-9: if-range carries Last-Modified when there is no strong ETag; a changed representation is Decode", async () => {
    const lm = "Wed, 21 Oct 2015 07:28:00 GMT";
    const p = `/lm-${backend}`;
    const url = server().route(p, { body: WANT, lastModified: lm, etag: 'W/"weak"' });
    server().setFaults(p, [{ resetAfter: 15_000 }]);
    const s = await client.stream(url);
    expect(same(await pump(clock, collect(s.body)), WANT)).toBe(true);
    expect(server().requestsTo(p)[1]?.headers["if-range"]).toBe(lm);

    // The representation changes between the first answer and the resume.
    const p2 = `/changing-${backend}`;
    const url2 = server().route(p2, { body: WANT, etag: '"v1"' });
    server().setFaults(p2, [{ resetAfter: 15_000 }]);
    const s2 = await client.stream(url2);
    const reading = pump(clock, collect(s2.body));
    reading.catch(() => {});
    const other = bodyBytes(SEED + 1, LEN);
    server().route(p2, { body: other, etag: '"v2"' });
    const e = (await rejection(reading)) as NetError;
    expect(e.kind).toBe("Decode");
    expect(e.message).toMatch(/representation changed/);
    const resume = server().requestsTo(p2)[1];
    expect(resume?.headers["if-range"]).toBe('"v1"');
    expect(resume?.status).toBe(200);
    expect(s2.consumed).toBeLessThanOrEqual(15_000);
  });

  it("NET-9: a changed ETag on a resume that ignores if-range is detected", async () => {
    const p = path();
    server().setFaults(p, [{ resetAfter: 15_000 }, { changeEtag: true }]);
    const s = await client.stream(server().url(p));
    const e = (await rejection(pump(clock, collect(s.body)))) as NetError;
    expect(e.kind).toBe("Decode");
  });

  it("NET-9: dispose mid-body releases the transfer", async () => {
    const p = path();
    server().setFaults(p, [{ stallAfter: 5000 }]);
    const s = await client.stream(server().url(p));
    const it = s.body[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    await s.dispose();
    expect(clock.pendingTimers).toBe(0);
    const after = await it.next();
    expect(after.done).toBe(true);
    await until(() => server().requestsTo(p)[0]?.bytesServed === 5000, "server side");
    expect(server().gets(p)).toBe(1);
    // Breaking out of for-await releases the body too.
    const s2 = await client.stream(server().url(path()));
    for await (const c of s2.body) {
      expect(c.length).toBeGreaterThan(0);
      break;
    }
    expect(clock.pendingTimers).toBe(0);
    expect((await s2.body[Symbol.asyncIterator]().next()).done).toBe(true);
  });
});
