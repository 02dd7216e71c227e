import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetError } from "../../src/core/errors.js";
import { createHttpClient } from "../../src/net/index.js";
import type { HttpClient } from "../../src/net/types.js";
import {
  bodyBytes,
  type FaultPlan,
  type FaultServer,
  startFaultServer,
} from "../support/fault-server.js";
import { BACKENDS, collect, pump, SteppingClock } from "./helpers.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
});

/** Deterministic PRNG (mulberry32) so every run injects the same faults. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomPlan(r: () => number, len: number): FaultPlan {
  const at = Math.floor(r() * len);
  const pick = Math.floor(r() * 11);
  switch (pick) {
    case 0:
      return { resetAfter: at };
    case 1:
      return { truncateAfter: at };
    case 2:
      return { ignoreRange: true };
    case 3:
      return { status: [500, 502, 503, 429, 408][Math.floor(r() * 5)] ?? 503 };
    case 4:
      return { stallAfter: at, stallMs: 2 };
    case 5:
      return { contentRange: "wrong" };
    case 6:
      return { html: true };
    case 7:
      return { status: 404 };
    case 8:
      return { changeEtag: true };
    default:
      return {};
  }
}

describe.each(BACKENDS)("REL-1 chaos over %s", (backend) => {
  let clock: SteppingClock;
  let client: HttpClient;
  beforeAll(() => {
    clock = new SteppingClock();
    client = createHttpClient({ backend, jitter: 0, clock });
  });
  afterAll(async () => {
    await client.close();
  });

  it("REL-1 NET-9: 40 downloads under random faults end byte-exact or with a typed error", async () => {
    const r = prng(backend === "undici" ? 7 : 8);
    let exact = 0;
    let typed = 0;
    for (let i = 0; i < 40; i++) {
      const len = 20_000 + Math.floor(r() * 200_000);
      const path = `/bytes/${i}/${len}/chaos-${backend}`;
      server.setFaults(path, [randomPlan(r, len), randomPlan(r, len), randomPlan(r, len)]);
      const start = r() < 0.5 ? Math.floor(r() * (len / 2)) : undefined;
      const end =
        start !== undefined && r() < 0.5
          ? start + 1 + Math.floor(r() * (len - start - 1))
          : undefined;
      const want =
        start === undefined ? bodyBytes(i, len) : bodyBytes(i, len).subarray(start, end ?? len);
      const run = async () => {
        const s =
          start === undefined
            ? await client.stream(server.url(path), { rejectHtml: true })
            : await client.getRange(server.url(path), { start, end }, { rejectHtml: true });
        const got = await collect(s.body);
        // A 200 to a range request delivers the whole representation (NET-6).
        return s.partial || start === undefined ? got : got.subarray(start, end ?? len);
      };
      try {
        const got = await pump(clock, run());
        expect(Buffer.compare(got, want), `download ${i}`).toBe(0);
        exact++;
      } catch (e) {
        expect(e, `download ${i}: ${String(e)}`).toBeInstanceOf(NetError);
        typed++;
      }
    }
    expect(exact + typed).toBe(40);
    expect(exact).toBeGreaterThan(10);
    expect(typed).toBeGreaterThan(0);
  });
});
