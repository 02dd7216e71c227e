import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTransient, NetError } from "../../src/core/errors.js";
import {
  createHttpClient,
  parseRetryAfter,
  resolveNetConfig,
  retryDelay,
} from "../../src/net/index.js";
import type { HttpClient } from "../../src/net/types.js";
import { burst } from "../support/fault-server.js";
import {
  BACKENDS,
  pump,
  recorder,
  rejection,
  SteppingClock,
  tick,
  useFaultServer,
} from "./helpers.js";

const server = useFaultServer();

describe("retry arithmetic", () => {
  it("NET-4: delay for retry n is 0, then base*2^(n-1) capped at max", () => {
    const cfg = resolveNetConfig({ jitter: 0 });
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelay(n, cfg))).toEqual([
      0, 100, 200, 400, 800, 1600, 3200, 5000, 5000,
    ]);
  });

  it("NET-5: jitter multiplies non-zero delays by a factor in [0.75, 1.25]", () => {
    const lo = resolveNetConfig({ random: () => 0 });
    const hi = resolveNetConfig({ random: () => 0.999999 });
    expect(retryDelay(0, lo)).toBe(0);
    expect(retryDelay(1, lo)).toBeCloseTo(75);
    expect(retryDelay(3, hi)).toBeCloseTo(500, 2);
    const dflt = resolveNetConfig();
    expect(dflt.jitter).toBe(0.25);
    for (let i = 0; i < 200; i++) {
      const d = retryDelay(2, dflt);
      expect(d).toBeGreaterThanOrEqual(150);
      expect(d).toBeLessThanOrEqual(250);
    }
  });

  it("NET-5: Retry-After parses delta-seconds and HTTP dates", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(
      parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 5)).toUTCString(), Date.UTC(2030, 0, 1)),
    ).toBe(5000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it("NET-3: transient = Timeout, Network, 5xx, 429, 408; everything else fatal", () => {
    expect(isTransient("Timeout")).toBe(true);
    expect(isTransient("Network")).toBe(true);
    for (const s of [500, 502, 503, 504, 429, 408]) expect(isTransient("Status", s)).toBe(true);
    for (const s of [400, 401, 403, 404, 410, 416, 206, 304])
      expect(isTransient("Status", s)).toBe(false);
    for (const k of [
      "Decode",
      "Cancelled",
      "RetryExhausted",
      "InvalidContentType",
      "TooLarge",
      "Unsupported",
    ] as const) {
      expect(isTransient(k)).toBe(false);
    }
  });

  it("NET-4: config values are validated", () => {
    expect(() => resolveNetConfig({ maxRetries: -1 })).toThrow(RangeError);
    expect(() => resolveNetConfig({ jitter: 1.5 })).toThrow(RangeError);
    expect(() => resolveNetConfig({ inactivityTimeoutMs: 0 })).toThrow(RangeError);
  });
});

describe.each(BACKENDS)("retry over %s", (backend) => {
  let clock: SteppingClock;
  let client: HttpClient;
  let n = 0;
  const path = () => `/bytes/21/1000/${backend}-${++n}`;
  beforeAll(() => {
    clock = new SteppingClock();
    client = createHttpClient({ backend, jitter: 0, clock });
  });
  afterAll(async () => {
    await client.close();
  });

  it("NET-4 NET-11: 4 attempts 0/100/200 ms apart, observer order, then RetryExhausted", async () => {
    const p = path();
    server().setFaults(p, { status: 503 });
    const { log, observer, hooks } = recorder();
    const times: number[] = [];
    observer.firstByte = (info) => {
      times.push(clock.now());
      log.push({ hook: "firstByte", info });
    };
    const e = (await rejection(
      pump(clock, client.getBytes(server().url(p), { observer })),
    )) as NetError;
    expect(e).toBeInstanceOf(NetError);
    expect(e.kind).toBe("RetryExhausted");
    expect(e.maxRetries).toBe(3);
    expect(e.retryable).toBe(false);
    expect((e.cause as NetError).status).toBe(503);
    expect(server().gets(p)).toBe(4);
    expect(hooks()).toEqual([
      "firstByte",
      "retrying",
      "firstByte",
      "retrying",
      "firstByte",
      "retrying",
      "firstByte",
      "retryExhausted",
    ]);
    const retries = log.filter((l) => l.hook === "retrying").map((l) => l.info);
    expect(retries.map((r) => [r.attempt, r.maxRetries, r.backoff])).toEqual([
      [1, 3, 0],
      [2, 3, 100],
      [3, 3, 200],
    ]);
    expect(times.map((t) => t - (times[0] ?? 0))).toEqual([0, 0, 100, 300]);
    const ex = log.find((l) => l.hook === "retryExhausted")?.info;
    expect(ex?.maxRetries).toBe(3);
    expect(ex?.consumed).toBe(0);
    expect(log[0]?.info).toMatchObject({ status: 503, partial: false });
  });

  it("NET-4: a burst of 5xx, 429 and 408 is retried and the body arrives", async () => {
    const p = path();
    server().setFaults(p, [{ status: 500 }, { status: 429 }, { status: 408 }]);
    const res = await pump(clock, client.getBytes(server().url(p)));
    expect(res.bytes.length).toBe(1000);
    expect(server().gets(p)).toBe(4);
    const p2 = path();
    server().setFaults(p2, burst(2, { status: 502 }));
    const s = await pump(clock, client.getRange(server().url(p2), { start: 5, end: 10 }));
    expect(s.status).toBe(206);
    await s.dispose();
  });

  it("NET-3: fatal statuses are not retried", async () => {
    for (const status of [404, 403, 400]) {
      const p = path();
      server().setFaults(p, { status });
      const e = (await rejection(pump(clock, client.stream(server().url(p))))) as NetError;
      expect(e.kind).toBe("Status");
      expect(e.status).toBe(status);
      expect(server().gets(p)).toBe(1);
    }
  });

  it("NET-4: with maxRetries 0 the raw error comes back", async () => {
    const c0 = createHttpClient({ backend, maxRetries: 0, clock });
    try {
      const p = path();
      server().setFaults(p, { status: 503 });
      const e = (await rejection(pump(clock, c0.getBytes(server().url(p))))) as NetError;
      expect(e.kind).toBe("Status");
      expect(e.status).toBe(503);
      expect(server().gets(p)).toBe(1);
    } finally {
      await c0.close();
    }
  });

  it("NET-5: Retry-After within maxRetryAfter is the backoff; a longer one ends retrying", async () => {
    const p = path();
    server().setFaults(p, [
      { status: 429, retryAfter: "2" },
      { status: 503, retryAfter: "1" },
    ]);
    const { log, observer } = recorder();
    const t0 = clock.now();
    const ok = await pump(clock, client.getBytes(server().url(p), { observer }));
    expect(ok.bytes.length).toBe(1000);
    const backoffs = log.filter((l) => l.hook === "retrying").map((l) => l.info.backoff);
    expect(backoffs).toEqual([2000, 1000]);
    expect(clock.now() - t0).toBe(3000);

    const p2 = path();
    server().setFaults(p2, { status: 429, retryAfter: "11" });
    const e = (await rejection(
      pump(clock, client.getBytes(server().url(p2), { observer }), 20_000),
    )) as NetError;
    expect(e.kind).toBe("Status");
    expect(e.status).toBe(429);
    expect(server().gets(p2)).toBe(1);
  });

  it("NET-4: a retry sleep ends at once on cancel with Cancelled", async () => {
    const p = path();
    server().setFaults(p, { status: 503 });
    const ctrl = new AbortController();
    const { log, observer } = recorder();
    const pending = client.getBytes(server().url(p), { signal: ctrl.signal, observer });
    pending.catch(() => {});
    // Let attempts 1 and 2 happen (0 ms backoff), then cancel during the 100 ms sleep.
    while (log.filter((l) => l.hook === "retrying").length < 2) {
      const d = clock.nextDueIn();
      if (d !== undefined && d < 1000) await clock.advance(d);
      else await tick();
    }
    const before = clock.now();
    ctrl.abort();
    const e = (await rejection(pending)) as NetError;
    expect(e.kind).toBe("Cancelled");
    expect(clock.now()).toBe(before);
    expect(server().gets(p)).toBe(2);
  });
});
