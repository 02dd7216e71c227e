import { describe, expect, it } from "vitest";
import { NetError } from "../../src/core/errors.js";
import { createHttpClient } from "../../src/net/index.js";
import {
  BACKENDS,
  pump,
  recorder,
  rejection,
  SteppingClock,
  until,
  useFaultServer,
} from "./helpers.js";

const server = useFaultServer();

const STALL = { stallBeforeHeadersMs: Number.POSITIVE_INFINITY };

describe.each(BACKENDS)("NET-2 inactivity timeout over %s", (backend) => {
  let n = 0;
  const path = () => `/bytes/51/5000/${backend}-${++n}`;

  async function settledAfter<T>(p: Promise<T>): Promise<boolean> {
    let done = false;
    p.then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    await new Promise((r) => setTimeout(r, 5));
    return done;
  }

  it("NET-2 NET-3: waiting for headers times out after exactly the inactivity timeout and is retried", async () => {
    const clock = new SteppingClock();
    const client = createHttpClient({ backend, jitter: 0, clock });
    try {
      const p = path();
      server().setFaults(p, [STALL]);
      const { log, observer } = recorder();
      const pending = client.getBytes(server().url(p), { observer });
      pending.catch(() => {});
      await until(() => server().gets(p) === 1, "the request");
      await clock.advance(29_999);
      expect(await settledAfter(pending)).toBe(false);
      await clock.advance(1);
      const res = await pump(clock, pending);
      expect(res.bytes.length).toBe(5000);
      const retry = log.find((l) => l.hook === "retrying")?.info;
      const err = retry?.error as NetError;
      expect(err.kind).toBe("Timeout");
      expect(err.retryable).toBe(true);
      expect(retry?.backoff).toBe(0);
      expect(server().gets(p)).toBe(2);
    } finally {
      await client.close();
    }
  });

  it("NET-2: a timeout is a Timeout error (maxRetries 0), also while reading an error body", async () => {
    const clock = new SteppingClock();
    const client = createHttpClient({ backend, maxRetries: 0, clock, inactivityTimeoutMs: 1000 });
    try {
      const p = path();
      server().setFaults(p, STALL);
      const pending = client.stream(server().url(p));
      pending.catch(() => {});
      await until(() => server().gets(p) === 1, "the request");
      await clock.advance(1000);
      const e = (await rejection(pending)) as NetError;
      expect(e).toBeInstanceOf(NetError);
      expect(e.kind).toBe("Timeout");

      const p2 = path();
      server().setFaults(p2, { status: 500, body: "y".repeat(100), stallAfter: 10 });
      const pending2 = client.getBytes(server().url(p2));
      pending2.catch(() => {});
      await until(() => server().requestsTo(p2)[0]?.bytesServed === 10, "the error body start");
      await clock.advance(999);
      expect(await settledAfter(pending2)).toBe(false);
      await clock.advance(1);
      const e2 = (await rejection(pending2)) as NetError;
      expect(e2.kind).toBe("Timeout");
      expect(e2.message).toMatch(/error body/);
    } finally {
      await client.close();
    }
  });

  it("NET-2 CORE-4: one timer serves every pending step of a client, and each step still times out exactly its budget after it began", async () => {
    const clock = new SteppingClock();
    const client = createHttpClient({ backend, maxRetries: 0, clock, inactivityTimeoutMs: 1000 });
    try {
      const [pa, pb] = [path(), path()];
      server().setFaults(pa, STALL);
      server().setFaults(pb, STALL);
      const a = client.getBytes(server().url(pa));
      a.catch(() => {});
      await until(() => server().gets(pa) === 1, "request A");
      await clock.advance(400);
      const b = client.stream(server().url(pb));
      b.catch(() => {});
      await until(() => server().gets(pb) === 1, "request B");
      expect(clock.armed).toBe(1);
      await clock.advance(599);
      expect(await settledAfter(a)).toBe(false);
      await clock.advance(1);
      expect(((await rejection(a)) as NetError).kind).toBe("Timeout");
      expect(await settledAfter(b)).toBe(false);
      expect(clock.armed).toBe(1);
      await clock.advance(399);
      expect(await settledAfter(b)).toBe(false);
      await clock.advance(1);
      expect(((await rejection(b)) as NetError).kind).toBe("Timeout");
      expect(clock.armed).toBe(0);
    } finally {
      await client.close();
    }
  });

  it("NET-2: the optional total deadline ends the operation with Timeout and no retry", async () => {
    const clock = new SteppingClock();
    const client = createHttpClient({ backend, clock, totalDeadlineMs: 5000 });
    try {
      const p = path();
      server().setFaults(p, STALL);
      const pending = client.getBytes(server().url(p));
      pending.catch(() => {});
      await until(() => server().gets(p) === 1, "the request");
      await clock.advance(5000);
      const e = (await rejection(pending)) as NetError;
      expect(e.kind).toBe("Timeout");
      expect(e.message).toMatch(/deadline/);
      expect(server().gets(p)).toBe(1);
      expect(clock.pendingTimers).toBe(0);
    } finally {
      await client.close();
    }
  });

  it("NET-11: firstByte reports the time to headers on the injected clock", async () => {
    const clock = new SteppingClock();
    const client = createHttpClient({ backend, clock });
    try {
      const p = path();
      server().setFaults(p, [STALL]);
      const { log, observer } = recorder();
      const pending = client.stream(server().url(p), { observer });
      pending.catch(() => {});
      await until(() => server().gets(p) === 1, "the request");
      await clock.advance(5000);
      server().releaseStalls();
      const s = await pending;
      await s.dispose();
      expect(log).toEqual([
        { hook: "firstByte", info: { ttfb: 5000, status: 200, partial: false } },
      ]);
    } finally {
      await client.close();
    }
  });
});
