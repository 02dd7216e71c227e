/**
 * REL-1 (chaos) through the full stack: `open()` (resource) → progressive peer (file) → real
 * Downloader (dl) → undici client (net) → fault server on loopback, with a real DiskStore in a
 * temp dir. Every download gets a seeded sequence of faults (one per request, then clean
 * answers). Each must end byte-exact or with a typed `PlectrumError`; afterwards every byte
 * the store holds — committed files and kept partial ranges alike — is checked against the
 * server's deterministic body, no claim (`.lock`) survives, every `.part` left belongs to a
 * partial resource, and a second, fault-free pass completes every failed download byte-exact
 * from what was kept.
 *
 * Timing: real clock, with a 1 s inactivity timeout so stalls (5 s on the server) end as
 * client timeouts quickly. Spurious timeouts under CPU load only cost a retry: every assertion
 * is about outcomes being exact-or-typed and stored bytes being correct, never about which
 * download fails, except two controls whose outcome cannot depend on timing.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PlectrumError } from "../../src/core/errors.js";
import { Downloader } from "../../src/dl/index.js";
import { EventBus } from "../../src/events/bus.js";
import { createHttpClient } from "../../src/net/index.js";
import type { HttpClient } from "../../src/net/types.js";
import { open } from "../../src/resource/open.js";
import type { Resource } from "../../src/resource/types.js";
import { DiskStore } from "../../src/store/index.js";
import type { ResourceHandle } from "../../src/store/types.js";
import {
  bodyBytes,
  type FaultPlan,
  type FaultServer,
  sha256,
  startFaultServer,
} from "../support/fault-server.js";

const N = 30;
const STALL_MS = 5_000;

/** mulberry32: a small seeded PRNG, so every run injects the same faults. */
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

type FaultKind =
  | "reset"
  | "stall"
  | "stallHeaders"
  | "5xx"
  | "429"
  | "truncated"
  | "wrongRange"
  | "ignoreRange"
  | "html"
  | "drip";
const KINDS: readonly FaultKind[] = [
  "reset",
  "stall",
  "stallHeaders",
  "5xx",
  "429",
  "truncated",
  "wrongRange",
  "ignoreRange",
  "html",
  "drip",
];

function plan(kind: FaultKind, length: number, rnd: () => number): FaultPlan {
  const cut = 1 + Math.floor(rnd() * (length - 2));
  switch (kind) {
    case "reset":
      return { resetAfter: cut };
    case "stall":
      return { stallAfter: cut, stallMs: STALL_MS };
    case "stallHeaders":
      return { stallBeforeHeadersMs: STALL_MS };
    case "5xx":
      return { status: rnd() < 0.5 ? 503 : 500 };
    case "429":
      return { status: 429, retryAfter: "0" };
    case "truncated":
      return { truncateAfter: cut };
    case "wrongRange":
      return { contentRange: "wrong" };
    case "ignoreRange":
      return { ignoreRange: true };
    case "html":
      // A captive-portal page answers even a range request with a 200 (see the report: the
      // fault server would otherwise answer 416, the page being shorter than the range start).
      return { html: true, ignoreRange: true };
    case "drip":
      return { dripBytesPerSec: 400_000 };
  }
}

interface Case {
  url: string;
  body: Uint8Array;
  faults: FaultKind[];
}

function cases(server: FaultServer): Case[] {
  const rnd = prng(0x5eed);
  return Array.from({ length: N }, (_, i) => {
    const length = 20_000 + Math.floor(rnd() * 180_000);
    const path = `/bytes/${i + 1}/${length}/chaos-${i}.bin`;
    // Controls whose outcome cannot depend on timing: #0 is never faulted (succeeds), #1
    // always answers HTML (fails, fatal: nothing kept), #2 ends its body after 1 % of it (three
    // times, so a spurious client timeout under CPU load cannot skip all of them) and then
    // answers 5xx to everything (fails, transient after progress: the received prefix is kept).
    let faults: FaultKind[];
    if (i === 0) faults = [];
    else if (i === 1) faults = Array.from({ length: 20 }, () => "html" as const);
    else if (i === 2)
      faults = [
        ...Array.from({ length: 3 }, () => "truncated" as const),
        ...Array.from({ length: 20 }, () => "5xx" as const),
      ];
    else {
      const n = 1 + Math.floor(rnd() * 4);
      faults = Array.from({ length: n }, () => KINDS[Math.floor(rnd() * KINDS.length)] ?? "reset");
    }
    server.setFaults(
      path,
      faults.map((k) => plan(k, length, i === 2 ? () => 0.01 : rnd)),
    );
    return { url: server.url(path), body: bodyBytes(i + 1, length), faults };
  });
}

interface Stack {
  server: FaultServer;
  dir: string;
  root: string;
  store: DiskStore;
  http: HttpClient;
  downloader: Downloader;
  bus: EventBus;
}

let s: Stack;
beforeAll(async () => {
  const server = await startFaultServer();
  const dir = await mkdtemp(join(tmpdir(), "plectrum-chaos-"));
  const root = join(dir, "cache");
  const bus = EventBus.root();
  const store = await DiskStore.open({ root, bus });
  const http = createHttpClient({
    jitter: 0,
    backoffBaseMs: 1,
    maxRetries: 3,
    inactivityTimeoutMs: 1_000,
    maxRetryAfterMs: 50,
  });
  const downloader = new Downloader({ http, bus });
  s = { server, dir, root, store, http, downloader, bus };
});
afterAll(async () => {
  await s.downloader.close();
  await s.http.close();
  await s.store.close();
  await s.server.close();
  await rm(s.dir, { recursive: true, force: true });
});

type Outcome = { ok: true } | { ok: false; error: unknown };

/** Open and read to the end; a success must be byte-exact and end committed. */
async function download(c: Case): Promise<Outcome> {
  const settled = s.bus.waitFor(
    (e) =>
      e.domain === "file" && e.url === c.url && (e.type === "CacheComplete" || e.type === "Error"),
  );
  let res: Resource | undefined;
  try {
    res = await open(c.url, { downloader: s.downloader, store: s.store, bus: s.bus });
    const parts: Uint8Array[] = [];
    for (let at = 0; ; ) {
      const buf = new Uint8Array(64 * 1024);
      const n = await res.readAt(at, buf);
      if (n === 0) break;
      parts.push(buf.subarray(0, n));
      at += n;
    }
    const got = Buffer.concat(parts);
    if (sha256(got) !== sha256(c.body)) {
      return { ok: false, error: new Error(`corrupt read: ${got.length} of ${c.body.length}`) };
    }
    // The commit follows the last write; wait for the session to settle before closing.
    const end = await settled;
    if (end.event.type !== "CacheComplete") {
      return { ok: false, error: new Error(`read complete but session ended ${end.event.type}`) };
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  } finally {
    await res?.close();
  }
}

async function handleOf(url: string): Promise<ResourceHandle> {
  return (await s.store.asset(url)).resource(url);
}

/** Every byte the store holds for `c` equals the server's body at that offset. */
async function storedBytesExact(c: Case): Promise<string | undefined> {
  const h = await handleOf(c.url);
  if (h.state() === "committed") {
    const whole = await h.readWhole();
    return sha256(whole) === sha256(c.body) ? undefined : `committed ${whole.length} bytes differ`;
  }
  for (const [start, end] of h.availableRanges()) {
    if (end > c.body.length) return `range [${start}, ${end}) past the end ${c.body.length}`;
    const got = await h.read(start, end - start);
    if (sha256(got) !== sha256(c.body.subarray(start, end))) return `range [${start}, ${end})`;
  }
  return undefined;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

describe("REL-1: chaos through open() + DiskStore + Downloader", () => {
  it("REL-1 FILE-4 FILE-5 NET-3 STORE-2: 30 downloads under seeded faults end byte-exact or typed; nothing corrupt is stored; a clean second pass completes them all", {
    timeout: 60_000,
  }, async () => {
    const all = cases(s.server);
    const outcomes = await Promise.all(all.map((c) => download(c)));

    const failures: string[] = [];
    outcomes.forEach((o, i) => {
      if (!o.ok && !(o.error instanceof PlectrumError))
        failures.push(`#${i} [${all[i]?.faults.join(",")}]: untyped ${String(o.error)}`);
    });
    expect(failures).toEqual([]);
    // The controls: a clean download succeeds, an always-HTML one fails with a typed error.
    expect(outcomes[0]).toEqual({ ok: true });
    expect(outcomes[1]?.ok).toBe(false);
    expect(outcomes[2]?.ok).toBe(false);
    expect((await handleOf(all[1]?.url ?? "")).state()).toBe("absent");
    const kept = await handleOf(all[2]?.url ?? "");
    expect(kept.state()).toBe("partial");
    expect(kept.presentBytes()).toBeGreaterThan(0);
    const succeeded = outcomes.filter((o) => o.ok).length;
    expect(succeeded).toBeGreaterThan(1);
    expect(succeeded).toBeLessThan(N);

    // Nothing corrupt stored: committed == success, and every kept byte is right.
    for (const [i, c] of all.entries()) {
      const h = await handleOf(c.url);
      expect(h.state() === "committed", `#${i} committed`).toBe(outcomes[i]?.ok === true);
      expect(await storedBytesExact(c), `#${i} [${c.faults.join(",")}]`).toBeUndefined();
    }
    // No claim survives; a `.part` exists only for a resource the store calls partial.
    const files = await walk(s.root);
    expect(files.filter((f) => f.endsWith(".lock"))).toEqual([]);
    const parts = files.filter((f) => f.endsWith(".part"));
    const partial: string[] = [];
    for (const c of all) {
      const h = await handleOf(c.url);
      if (h.state() === "partial" && h.path) partial.push(`${h.path}.part`);
    }
    expect(parts.sort()).toEqual(partial.sort());
    expect((await s.store.verify()).problems).toEqual([]);

    // Second pass, no faults: every failed download completes, resuming from kept bytes.
    s.server.clearFaults();
    const before = s.server.requests.length;
    const retry = all.filter((_, i) => !outcomes[i]?.ok);
    const again = await Promise.all(retry.map((c) => download(c)));
    expect(again.filter((o) => !o.ok)).toEqual([]);
    // The kept prefix of #2 was reused: its first request of this pass starts past 0.
    const resumed = s.server.requests.slice(before).find((r) => all[2]?.url.endsWith(r.path));
    expect(resumed?.range).toMatch(/^bytes=[1-9]\d*-/);
    for (const c of all) {
      expect((await handleOf(c.url)).state()).toBe("committed");
      expect(await storedBytesExact(c)).toBeUndefined();
    }
    expect((await walk(s.root)).filter((f) => /\.(part|lock)$/.test(f))).toEqual([]);
  });
});
