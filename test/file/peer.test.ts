import { readFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import type { NetError } from "../../src/core/errors.js";
import { Downloader } from "../../src/dl/index.js";
import { FileError } from "../../src/file/errors.js";
import { open } from "../../src/resource/open.js";
import type { Resource } from "../../src/resource/types.js";
import { DiskStore } from "../../src/store/index.js";
import { bodyBytes, burst } from "../support/fault-server.js";
import { rangeStart, readAll, type Stack, stack, walk } from "./harness.js";

let s: Stack;
afterEach(async () => {
  await s.close();
});

function complete(): Promise<unknown> {
  return s.bus.waitFor(
    (e) => e.domain === "file" && (e.type === "CacheComplete" || e.type === "Error"),
  );
}

async function state(url: string) {
  return (await (await s.store.asset(url)).resource(url)).state();
}

/** No `.part`, lock or canonical file of this test's resources anywhere under the temp dir. */
async function noDataFiles(): Promise<void> {
  const files = (await walk(s.dir)).filter(
    (f) => !f.includes(".plectrum") && !/index|journal/i.test(f),
  );
  expect(files).toEqual([]);
}

describe("FilePeer over real sockets", () => {
  beforeEach(async () => {
    s = await stack();
  });

  it("FILE-1, FILE-3, FILE-5, FILE-7: a fresh download sends no Range, commits byte-exact once; reopening uses no network", async () => {
    const url = s.server.bytesUrl(1, 700_000);
    const done = complete();
    const res = await s.open(url);
    expect((await readAll(res)).equals(bodyBytes(1, 700_000))).toBe(true);
    await done;
    const gets = s.server.requestsTo(undefined, "GET");
    expect(gets).toHaveLength(1);
    expect(gets[0]?.range).toBeUndefined();
    expect(await state(url)).toBe("committed");
    expect(s.fileEvents("Opened")).toMatchObject([{ cached: false }]);
    expect(s.fileEvents("TotalBytesResolved")).toMatchObject([{ total: 700_000 }]);
    expect(s.fileEvents("CacheComplete")).toMatchObject([{ total: 700_000 }]);
    await res.close();

    const again = await s.open(url);
    expect(again.length).toBe(700_000);
    expect((await readAll(again)).equals(bodyBytes(1, 700_000))).toBe(true);
    expect(s.server.requestsTo(undefined, "GET")).toHaveLength(1);
    expect(s.fileEvents("Opened")).toMatchObject([{ cached: false }, { cached: true }]);
    expect(s.fileEvents("CacheComplete")).toHaveLength(1);
  });

  it("FILE-7: Progress events report growing byte counts and the total", async () => {
    const url = s.server.bytesUrl(25, 500_000);
    // Paced (100 KB every 50 ms): the store coalesces a burst into one write, and Progress
    // counts landed bytes, so an unpaced loopback body may land in one or two writes.
    s.server.setFaults(new URL(url).pathname, { dripBytesPerSec: 2_000_000 });
    const done = complete();
    const res = await s.open(url, { progressBytes: 100_000 });
    await readAll(res);
    await done;
    const progress = s.fileEvents("Progress").map((e) => (e.type === "Progress" ? e : undefined));
    expect(progress.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]?.downloaded).toBeGreaterThan(progress[i - 1]?.downloaded ?? 0);
    expect(progress.every((e) => e?.total === 500_000)).toBe(true);
  });

  it("FILE-2: two readers of one URL cause one GET", async () => {
    const path = "/bytes/2/600000/shared.bin";
    s.server.setFaults(path, { dripBytesPerSec: 3_000_000 });
    const url = s.server.url(path);
    const [a, b] = await Promise.all([s.open(url), s.open(url)]);
    const [da, db] = await Promise.all([readAll(a), readAll(b)]);
    expect(da.equals(bodyBytes(2, 600_000))).toBe(true);
    expect(db.equals(da)).toBe(true);
    expect(s.server.gets(path)).toBe(1);
  });

  it("FILE-2, FILE-3: the writer's reader goes away mid-download; a survivor finishes from the same partial bytes", async () => {
    const size = 1_500_000;
    const path = `/bytes/3/${size}/handover.bin`;
    s.server.setFaults(path, { dripBytesPerSec: 2_000_000 });
    const url = s.server.url(path);
    const writer = await s.open(url);
    const survivor = await s.open(url);
    expect(await writer.waitRange(0, 300_000)).toBe("ready");
    await writer.close();
    const done = complete();
    expect((await readAll(survivor)).equals(bodyBytes(3, size))).toBe(true);
    await done;
    const gets = s.server.requestsTo(path, "GET");
    expect(gets).toHaveLength(2);
    // Known total: the take-over asks for exactly the rest, from what was on disk.
    const from = rangeStart(gets[1]?.range);
    expect(from).toBeGreaterThanOrEqual(300_000);
    expect(gets[1]?.range).toBe(`bytes=${from}-${size - 1}`);
    expect(s.server.bytesServed(path)).toBeLessThan(size + 300_000);
    expect(s.fileEvents("CacheComplete")).toHaveLength(1);
  });

  it("FILE-3: with a look-ahead, fetches stop at the watermark (position + look-ahead) and follow the reader", async () => {
    const path = "/bytes/4/1000000/lookahead.bin";
    const url = s.server.url(path);
    const fetched = s.bus.waitFor(
      (e) => e.domain === "downloader" && e.type === "RequestCompleted",
    );
    const res = await s.open(url, { lookAhead: 65_536 });
    expect(await res.waitRange(0, 1000)).toBe("ready");
    await fetched;
    expect(s.server.requestsTo(path, "GET").map((r) => r.range)).toEqual(["bytes=0-65535"]);
    res.seek(100_000);
    expect(await res.waitRange(100_000, 101_000)).toBe("ready");
    const ranges = s.server.requestsTo(path, "GET").map((r) => r.range);
    expect(ranges[1]).toBe("bytes=100000-165535");
    expect(ranges.every((r) => r !== undefined)).toBe(true);
  });

  it("FILE-3: at most one fetch in flight; high priority while playing", async () => {
    const path = "/bytes/5/800000/one.bin";
    s.server.setFaults(path, { dripBytesPerSec: 4_000_000 });
    let inFlight = 0;
    let peak = 0;
    s.bus.subscribe(({ event: e }) => {
      if (e.domain !== "downloader") return;
      if (e.type === "RequestStarted") peak = Math.max(peak, ++inFlight);
      if (
        e.type === "RequestCompleted" ||
        e.type === "RequestFailed" ||
        e.type === "RequestCancelled"
      )
        inFlight--;
    });
    const res = await s.open(s.server.url(path), { seekGap: 0 });
    const priority = s.bus.waitFor(
      (e) => e.domain === "downloader" && e.type === "PriorityChanged",
    );
    res.setPlaying(true);
    expect((await priority).event).toMatchObject({ from: "low", to: "high" });
    // Seeks that each cancel the fetch in flight and start another.
    res.seek(500_000);
    await res.waitRange(500_000, 510_000);
    res.seek(200_000);
    expect((await readAll(res)).equals(bodyBytes(5, 800_000))).toBe(true);
    expect(s.server.gets(path)).toBeGreaterThanOrEqual(3);
    expect(peak).toBe(1);
  });

  it("FILE-6: a seek far ahead is served before the back-fill; the back-fill runs at low priority", async () => {
    const size = 2_000_000;
    const path = `/bytes/6/${size}/seek.bin`;
    s.server.setFaults(path, { dripBytesPerSec: 1_500_000 });
    const url = s.server.url(path);
    const res = await s.open(url);
    res.seek(1_600_000);
    // The player reads on from the seek target: it is served while the bytes before it are
    // still missing.
    const handle = await (await s.store.asset(url)).resource(url);
    expect((await readAll(res, 1_600_000)).equals(bodyBytes(6, size).subarray(1_600_000))).toBe(
      true,
    );
    expect(handle.containsRange(0, 1_600_000)).toBe(false);
    expect((await readAll(res)).equals(bodyBytes(6, size))).toBe(true);
    const ranges = s.server.requestsTo(path, "GET").map((r) => r.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toBe(`bytes=1600000-${size - 1}`);
    const backfill = ranges[2] ?? "";
    expect(backfill).toMatch(/^bytes=\d+-1599999$/);
    const enqueued = s.events.filter(
      (e) => e.domain === "downloader" && e.type === "RequestEnqueued",
    );
    expect(enqueued.map((e) => (e.type === "RequestEnqueued" ? e.priority : ""))).toEqual([
      "low",
      "high",
      "low",
    ]);
  });

  it("FILE-3, FILE-6: an open-ended fetch from s > 0 sends bytes=s- while the length is unknown", async () => {
    const path = "/bytes/7/900000/chunked.bin";
    // No content-length: the total stays unknown until a range answer reveals it.
    s.server.setFaults(path, { dripBytesPerSec: 1_000_000, headers: { "content-length": null } });
    const res = await s.open(s.server.url(path), { seekGap: 0 });
    expect(res.length).toBeNull();
    res.seek(700_000);
    expect(await res.waitRange(700_000, 750_000)).toBe("ready");
    expect(s.server.requestsTo(path, "GET")[1]?.range).toBe("bytes=700000-");
    expect(res.length).toBe(900_000);
    expect((await readAll(res)).equals(bodyBytes(7, 900_000))).toBe(true);
  });

  it("FILE-4, NET-10: an HTML 200 fails with InvalidContentType and leaves no orphan file", async () => {
    const path = "/bytes/8/50000/portal.bin";
    s.server.setFaults(path, { html: true });
    const url = s.server.url(path);
    const err = await s.open(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileError);
    expect(((err as FileError).cause as NetError).kind).toBe("InvalidContentType");
    expect(await state(url)).toBe("absent");
    expect(s.fileEvents("Error")).toHaveLength(1);
    await noDataFiles();
  });

  it("FILE-4: an error response (404) leaves no orphan file", async () => {
    const url = s.server.url("/missing.bin");
    const err = await s.open(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileError);
    expect(((err as FileError).cause as NetError).status).toBe(404);
    await noDataFiles();
  });

  it("FILE-4: a content-range that does not match the request is rejected; nothing is stored", async () => {
    const path = "/bytes/9/400000/cr.bin";
    s.server.setFaults(path, { contentRange: (a, e, t) => `bytes ${a}-${e - 1}/${t}` });
    const url = s.server.url(path);
    const err = await s.open(url, { lookAhead: 4096 }).catch((e: unknown) => e);
    expect(((err as FileError).cause as NetError).kind).toBe("Decode");
    expect(await state(url)).toBe("absent");
    await noDataFiles();
  });

  it("FILE-4: a server that ignores a range from 0 is accepted as the full file", async () => {
    const path = "/bytes/10/300000/ignore.bin";
    s.server.setFaults(path, { ignoreRange: true });
    const url = s.server.url(path);
    const done = complete();
    const res = await s.open(url, { lookAhead: 4096 });
    expect((await done) as { event: { type: string } }).toMatchObject({
      event: { type: "CacheComplete" },
    });
    expect(s.server.requestsTo(path, "GET").map((r) => r.range)).toEqual(["bytes=0-4095"]);
    expect((await readAll(res)).equals(bodyBytes(10, 300_000))).toBe(true);
  });

  it("FILE-4: a total that contradicts the known one fails the resource and discards its bytes", async () => {
    const path = "/changing.bin";
    const first = bodyBytes(11, 1_000_000);
    s.server.route(path, { body: first, etag: '"v1"' });
    s.server.setFaults(path, { dripBytesPerSec: 2_000_000 });
    const url = s.server.url(path);
    const a = await s.open(url);
    expect(await a.waitRange(0, 200_000)).toBe("ready");
    await a.close();
    expect(await state(url)).toBe("partial");
    // The representation changes: a different length under a new validator.
    s.server.route(path, { body: bodyBytes(11, 900_000), etag: '"v2"' });
    // Partial bytes are revalidated by the first answer before open() resolves.
    const err = await s.open(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileError);
    expect(((err as FileError).cause as NetError).message).toMatch(/contradicts/);
    expect(await state(url)).toBe("absent");
    await noDataFiles();
  });

  it("FILE-4, STORE-3: a changed representation of the same length is caught by its validator; stale bytes are dropped", async () => {
    const path = "/versioned.bin";
    s.server.route(path, { body: bodyBytes(21, 800_000), etag: '"v1"' });
    s.server.setFaults(path, { dripBytesPerSec: 2_000_000 });
    const url = s.server.url(path);
    const a = await s.open(url);
    expect(await a.waitRange(0, 200_000)).toBe("ready");
    await a.close();
    s.server.route(path, { body: bodyBytes(22, 800_000), etag: '"v2"' });
    s.server.clearFaults(path);
    const b = await s.open(url);
    expect((await readAll(b)).equals(bodyBytes(22, 800_000))).toBe(true);
  });

  it("FILE-4, FILE-5: a server lying about content-length (early EOF on every answer) still ends byte-exact", async () => {
    const path = "/bytes/12/500000/liar.bin";
    s.server.setFaults(path, { truncateAfter: 120_000 });
    const url = s.server.url(path);
    const done = complete();
    const res = await s.open(url);
    expect((await readAll(res)).equals(bodyBytes(12, 500_000))).toBe(true);
    expect((await done) as { event: { type: string } }).toMatchObject({
      event: { type: "CacheComplete" },
    });
    const file = (await (await s.store.asset(url)).resource(url)).path as string;
    expect(Buffer.from(await readFile(file)).equals(bodyBytes(12, 500_000))).toBe(true);
  });

  it("FILE-4, REL-3, STORE-1: a hostile URL stays inside the cache root", async () => {
    const url = s.server.url(
      `/bytes/13/20000/..%2F..%2F..%2Fescape/%2e%2e/${"x".repeat(300)}%00.bin?a=../../b`,
    );
    const res = await s.open(url);
    expect((await readAll(res)).equals(bodyBytes(13, 20_000))).toBe(true);
    const files = await walk(s.dir);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f.startsWith(`${s.root}/`)).toBe(true);
  });
});

describe("FilePeer failures", () => {
  it("FILE-5: a transient error after progress keeps going; the next fetch asks for the gap", async () => {
    s = await stack({ maxRetries: 0 });
    const path = "/bytes/14/600000/flaky.bin";
    s.server.setFaults(path, burst(3, { resetAfter: 100_000 }));
    const done = complete();
    const res = await s.open(s.server.url(path));
    expect((await readAll(res)).equals(bodyBytes(14, 600_000))).toBe(true);
    expect((await done) as { event: { type: string } }).toMatchObject({
      event: { type: "CacheComplete" },
    });
    const starts = s.server.requestsTo(path, "GET").map((r) => rangeStart(r.range));
    expect(starts.length).toBeGreaterThanOrEqual(4);
    expect(starts[0]).toBe(0);
    for (let i = 1; i < starts.length; i++) expect(starts[i]).toBeGreaterThan(starts[i - 1] ?? 0);
  });

  it("FILE-5, FILE-7: a fatal error after progress fails the resource with one Error event; waiting reads reject", async () => {
    s = await stack({ maxRetries: 0 });
    const path = "/bytes/15/600000/gone.bin";
    s.server.setFaults(path, [{ resetAfter: 100_000 }, { status: 404 }]);
    const url = s.server.url(path);
    const res = await s.open(url);
    const err = await readAll(res).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileError);
    expect((err as FileError).code).toBe("FILE_FAILED");
    expect(s.fileEvents("Error")).toMatchObject([{ error: { status: 404, retryable: false } }]);
    expect(s.fileEvents("CacheComplete")).toHaveLength(0);
    await expect(res.waitRange(0, 10)).rejects.toBe(err);
  });

  it("FILE-5: a transient error with no progress at all fails the resource", async () => {
    s = await stack({ maxRetries: 1 });
    const path = "/bytes/16/1000/down.bin";
    s.server.setFaults(path, { status: 503 });
    const err = await s.open(s.server.url(path)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileError);
    expect(s.fileEvents("Error")).toMatchObject([
      { error: { retryable: false, kind: "RetryExhausted" } },
    ]);
    expect(s.server.gets(path)).toBe(2);
  });
});

describe("FilePeer hostile servers", () => {
  it("FILE-4, REL-3: an absurd content-length ends in a typed error with nothing stored, no hang", async () => {
    // The body stops short of the claimed length and the connection idles: the inactivity
    // timeout (short here) turns it into a resume, which the server cannot satisfy.
    s = await stack({ inactivityTimeoutMs: 300 });
    const path = "/bytes/26/100000/absurd.bin";
    s.server.setFaults(path, { headers: { "content-length": "999999999999999" } });
    const url = s.server.url(path);
    const res = await s.open(url).catch((e: unknown) => e);
    const err =
      res instanceof FileError ? res : await readAll(res as Resource).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileError);
    expect(s.fileEvents("CacheComplete")).toHaveLength(0);
    if (!(res instanceof FileError)) await (res as Resource).close();
    await noDataFiles();
  });
});

describe("FilePeer across stores", () => {
  it("FILE-2, STORE-2, CORE-2, CORE-4: a claim held elsewhere is retried on the injected clock; the survivor resumes from the other's bytes on disk", async () => {
    s = await stack();
    const size = 900_000;
    const path = `/bytes/23/${size}/elsewhere.bin`;
    s.server.setFaults(path, { dripBytesPerSec: 2_000_000 });
    const url = s.server.url(path);
    // A second store on the same root stands for another process sharing the cache.
    const other = await DiskStore.open({ root: s.root });
    const clock = new VirtualClock();
    try {
      const first = await s.open(url);
      expect(await first.waitRange(0, 250_000)).toBe("ready");
      const second = open(url, { downloader: s.downloader, store: other, bus: s.bus, clock });
      await clock.advance(2_000); // claim held by `first`: the second keeps retrying
      expect(s.server.gets(path)).toBe(1);
      await first.close(); // releases the claim, ranges checkpointed on disk
      await clock.advance(500); // the next retry takes the claim over
      const res = await second;
      expect((await readAll(res)).equals(bodyBytes(23, size))).toBe(true);
      const gets = s.server.requestsTo(path, "GET");
      expect(gets).toHaveLength(2);
      expect(rangeStart(gets[1]?.range)).toBeGreaterThanOrEqual(250_000);
      await res.close();
      expect(clock.pendingTimers).toBe(0);
    } finally {
      await other.close();
    }
  });
});

describe("FilePeer shutdown", () => {
  it("FILE-5, STORE-3, DL-17: closing the downloader mid-download keeps the bytes; a later open resumes from them", async () => {
    s = await stack();
    const size = 800_000;
    const path = `/bytes/24/${size}/shutdown.bin`;
    s.server.setFaults(path, { dripBytesPerSec: 2_000_000 });
    const url = s.server.url(path);
    const res = await s.open(url);
    expect(await res.waitRange(0, 200_000)).toBe("ready");
    const pending = readAll(res).catch((e: unknown) => e);
    await s.downloader.close();
    expect(await pending).toMatchObject({ code: "FILE_FAILED" });
    await res.close();
    expect(await state(url)).toBe("partial");

    const again = new Downloader();
    try {
      const b = await open(url, { downloader: again, store: s.store, bus: s.bus });
      expect((await readAll(b)).equals(bodyBytes(24, size))).toBe(true);
      await b.close();
    } finally {
      await again.close();
    }
    const gets = s.server.requestsTo(path, "GET");
    expect(gets).toHaveLength(2);
    expect(rangeStart(gets[1]?.range)).toBeGreaterThanOrEqual(200_000);
  });
});
