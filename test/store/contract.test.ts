/** The store contract, run against both the disk and the memory store (STORE-6). */
import { existsSync, statSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "../../src/store/errors.js";
import type { ResourceImpl } from "../../src/store/resource.js";
import type { AssetStore, ResourceChange } from "../../src/store/types.js";
import { bytes, KINDS, recordingBus, tempDir } from "./helpers.js";

const ASSET = "http://media.test/show/master.m3u8";
const SEG = "http://media.test/show/seg1.ts";

describe.each(KINDS)("$name store", (kind) => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: AssetStore;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    store = await kind.make(dir);
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it("STORE-6 STORE-3: a fresh resource is absent; ranges appear as writes land", async () => {
    const r = await (await store.asset(ASSET)).resource(SEG);
    expect(r.state()).toBe("absent");
    expect(r.containsRange(0, 1)).toBe(false);
    const w = await r.tryClaim();
    expect(w).toBeDefined();
    await w!.write(100, bytes(50));
    expect(r.availableRanges()).toEqual([[100, 150]]);
    expect(r.containsRange(100, 150)).toBe(true);
    expect(r.containsRange(99, 150)).toBe(false);
    expect(r.firstGap(0)).toEqual({ start: 0, end: 100 });
    w!.setLength(300);
    expect(r.finalLength()).toBe(300);
    expect(r.firstGap(120)).toEqual({ start: 150, end: 300 });
    expect(r.state()).toBe("partial");
    expect(await r.read(110, 10)).toEqual(bytes(50).subarray(10, 20));
    await expect(r.read(140, 20)).rejects.toMatchObject({ kind: "NotAvailable" });
    await w!.discard();
    expect(r.state()).toBe("absent");
  });

  it("STORE-6 STORE-3: the same resource yields one shared state object per process", async () => {
    const a = await store.asset(ASSET);
    const [r1, r2] = await Promise.all([a.resource(SEG), a.resource(`${SEG}#frag`)]);
    expect(r1).toBe(r2);
    const other = await a.resource(SEG, { byteRange: { start: 0, end: 10 } });
    expect(other.key).not.toBe(r1.key);
  });

  it("STORE-2: two writers in one process — exactly one claim wins", async () => {
    const r = await (await store.asset(ASSET)).resource(SEG);
    const claims = await Promise.all([r.tryClaim(), r.tryClaim(), r.tryClaim()]);
    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
    expect(r.isClaimed()).toBe(true);
    const w = claims.find((c) => c !== undefined)!;
    await w.release();
    expect(r.isClaimed()).toBe(false);
    const again = await r.tryClaim();
    expect(again).toBeDefined();
    await again!.discard();
  });

  it("STORE-2: commit needs a known length and no gap; then the canonical bytes are readable", async () => {
    const r = await (await store.asset(ASSET)).resource(SEG);
    const w = (await r.tryClaim())!;
    await w.write(0, bytes(64).subarray(0, 32));
    await expect(w.commit()).rejects.toMatchObject({ kind: "Incomplete" });
    w.setLength(64);
    await expect(w.commit()).rejects.toMatchObject({ kind: "Incomplete" });
    expect(() => w.setLength(63)).toThrow(StoreError);
    await expect(w.write(60, bytes(8))).rejects.toMatchObject({ kind: "LengthMismatch" });
    await w.write(32, bytes(64).subarray(32));
    await w.commit();
    expect(w.closed).toBe(true);
    expect(r.state()).toBe("committed");
    expect(await r.readWhole()).toEqual(bytes(64));
    await expect(w.write(0, bytes(1))).rejects.toMatchObject({ kind: "Closed" });
    await expect(r.tryClaim()).rejects.toMatchObject({ kind: "Busy" });
  });

  it("STORE-3: waitRange resolves only when the bytes land, clipped to the final length", async () => {
    const r = await (await store.asset(ASSET)).resource(SEG);
    const w = (await r.tryClaim())!;
    let done = false;
    const p = r.waitRange(10, 1000).then(() => {
      done = true;
    });
    await w.write(0, bytes(20));
    await Promise.resolve();
    expect(done).toBe(false);
    w.setLength(40);
    await w.write(20, bytes(10));
    await Promise.resolve();
    expect(done).toBe(false);
    await w.write(30, bytes(10));
    await p;
    expect(done).toBe(true);
    await w.release();
  });

  it("STORE-3: waitRange rejects on abort and on close, leaving no waiter behind", async () => {
    const r = await (await store.asset(ASSET)).resource(SEG);
    const ac = new AbortController();
    const aborted = r.waitRange(0, 10, ac.signal);
    ac.abort(new Error("gone"));
    await expect(aborted).rejects.toThrow("gone");
    expect((r as ResourceImpl).waiterCount).toBe(0);
    const closed = r.waitRange(0, 10);
    await store.close();
    await expect(closed).rejects.toMatchObject({ kind: "Closed" });
    expect((r as ResourceImpl).waiterCount).toBe(0);
  });

  it("STORE-3: onChange reports ranges, length, commit and clearing", async () => {
    const r = await (await store.asset(ASSET)).resource(SEG);
    const seen: ResourceChange[] = [];
    const off = r.onChange((c) => seen.push(c));
    const w = (await r.tryClaim())!;
    w.setLength(8);
    await w.write(0, bytes(8));
    await w.commit();
    await r.remove();
    off();
    expect(seen.map((c) => c.kind)).toEqual(["length", "ranges", "committed", "cleared"]);
  });

  it("STORE-2: putWhole replaces atomically; a reader opened before sees the old or new bytes whole", async () => {
    const r = await (await store.asset(ASSET)).resource("http://media.test/show/live.m3u8");
    await r.putWhole(bytes(100, 1), { etag: '"v1"' });
    expect(r.state()).toBe("committed");
    expect(r.validator()).toEqual({ etag: '"v1"' });
    const reader = await r.openReader();
    expect(await reader.read(0, 100)).toEqual(bytes(100, 1));
    await r.putWhole(bytes(120, 2));
    expect(await r.readWhole()).toEqual(bytes(120, 2));
    expect(await reader.read(0, 120)).toEqual(bytes(120, 2));
    await reader.close();
    await r.putWhole(new Uint8Array(0));
    expect(r.finalLength()).toBe(0);
    expect(await r.readWhole()).toEqual(new Uint8Array(0));
  });

  it("STORE-2: a reader opened on the .part keeps reading after the commit", async () => {
    const r = await (await store.asset(ASSET)).resource(SEG);
    const w = (await r.tryClaim())!;
    w.setLength(20);
    await w.write(0, bytes(20).subarray(0, 10));
    const reader = await r.openReader();
    expect(await reader.read(0, 10)).toEqual(bytes(20).subarray(0, 10));
    await w.write(10, bytes(20).subarray(10));
    await w.commit();
    expect(await reader.read(5, 15)).toEqual(bytes(20).subarray(5));
    await reader.close();
    await expect(reader.read(0, 1)).rejects.toMatchObject({ kind: "Closed" });
  });

  it("STORE-4: pinned resources block remove; an unpinned asset is removed with Evicted{Manual}", async () => {
    const { bus, events } = recordingBus();
    await store.close();
    store = await kind.make(dir, { bus });
    const a = await store.asset(ASSET);
    const r = await a.resource(SEG);
    await r.putWhole(bytes(10));
    const pin = r.pin();
    await expect(r.remove()).rejects.toMatchObject({ kind: "Busy" });
    pin.release();
    expect(await store.remove(ASSET)).toBe(10);
    expect(r.state()).toBe("absent");
    expect(events.filter((e) => e.type === "Evicted")).toEqual([
      { domain: "asset", type: "Evicted", assetRoot: a.assetRoot, reason: "Manual", bytes: 10 },
    ]);
    expect((await store.list()).map((x) => x.assetRoot)).not.toContain(a.assetRoot);
  });

  it("STORE-4 STORE-7: LRU eviction by maxAssets after each commit, skipping pinned assets", async () => {
    const { bus, events } = recordingBus();
    await store.close();
    let t = 1000;
    store = await kind.make(dir, { bus, maxAssets: 2, now: () => t });
    const roots: string[] = [];
    const put = async (i: number) => {
      t += 10;
      const a = await store.asset(`http://media.test/a${i}.mp4`);
      roots.push(a.assetRoot);
      const r = await a.resource(`http://media.test/a${i}.mp4`);
      await r.putWhole(bytes(10 * (i + 1)));
      return r;
    };
    const r0 = await put(0);
    const pin = r0.pin(); // a0 is oldest but pinned
    await put(1);
    await put(2);
    const evicted = events.filter((e) => e.type === "Evicted");
    expect(evicted).toEqual([
      { domain: "asset", type: "Evicted", assetRoot: roots[1], reason: "MaxAssets", bytes: 20 },
    ]);
    pin.release();
    await put(3);
    expect(events.filter((e) => e.type === "Evicted").map((e) => e.assetRoot)).toEqual([
      roots[1],
      roots[0],
    ]);
    expect(events.filter((e) => e.type === "Committed")).toHaveLength(4);
    expect((await store.list()).map((a) => a.assetRoot).sort()).toEqual(
      [roots[2], roots[3]].sort(),
    );
  });

  it("STORE-4: LRU eviction by maxBytes evicts the least recently used asset first", async () => {
    const { bus, events } = recordingBus();
    await store.close();
    let t = 1000;
    store = await kind.make(dir, { bus, maxBytes: 250, now: () => t });
    const put = async (i: number) => {
      t += 10;
      const a = await store.asset(`http://m.test/${i}`);
      await (await a.resource(`http://m.test/${i}`)).putWhole(bytes(100));
      return a.assetRoot;
    };
    const a0 = await put(0);
    const a1 = await put(1);
    t += 10;
    await store.asset("http://m.test/0"); // a0 used again: a1 is now least recently used
    const a2 = await put(2);
    const ev = events.filter((e) => e.type === "Evicted");
    expect(ev).toEqual([
      { domain: "asset", type: "Evicted", assetRoot: a1, reason: "MaxBytes", bytes: 100 },
    ]);
    const left = await store.list();
    expect(left.map((a) => a.assetRoot)).toEqual([a2, a0]);
    expect(left.reduce((n, a) => n + a.bytes, 0)).toBe(200);
  });

  it("STORE-4: an asset is never evicted by its own commit, even when it alone exceeds maxBytes", async () => {
    const { bus, events } = recordingBus();
    await store.close();
    let t = 1000;
    store = await kind.make(dir, { bus, maxBytes: 50, now: () => t++ });
    const a = await store.asset("http://m.test/a");
    await (await a.resource("http://m.test/a")).putWhole(bytes(100));
    expect(events.filter((e) => e.type === "Evicted")).toEqual([]);
    const b = await store.asset("http://m.test/b");
    const rb = await b.resource("http://m.test/b");
    const w = (await rb.tryClaim())!;
    w.setLength(100);
    await w.write(0, bytes(100));
    await w.commit();
    expect(events.filter((e) => e.type === "Evicted").map((e) => e.assetRoot)).toEqual([
      a.assetRoot,
    ]);
    expect(rb.state()).toBe("committed");
  });

  it("STORE-1: unparsable URLs and bad byte ranges are typed InvalidUrl errors", async () => {
    await expect(store.asset("not a url")).rejects.toMatchObject({ kind: "InvalidUrl" });
    const a = await store.asset(ASSET);
    await expect(a.resource("::")).rejects.toMatchObject({ kind: "InvalidUrl" });
    await expect(a.resource(SEG, { byteRange: { start: 5, end: 5 } })).rejects.toMatchObject({
      kind: "InvalidUrl",
    });
    await expect(a.resource(SEG, { byteRange: { start: -1, end: 5 } })).rejects.toBeInstanceOf(
      StoreError,
    );
  });

  it("STORE-2: hostile write offsets fail typed and leave the present bytes intact", async () => {
    const r = await (await store.asset(ASSET)).resource(SEG);
    const w = (await r.tryClaim())!;
    await w.write(0, bytes(10));
    await expect(w.write(-1, bytes(1))).rejects.toMatchObject({ kind: "LengthMismatch" });
    await expect(w.write(2 ** 52, bytes(1))).rejects.toBeInstanceOf(StoreError);
    expect(r.availableRanges()).toEqual([[0, 10]]);
    expect(await r.read(0, 10)).toEqual(bytes(10));
    await w.discard();
  });

  it("STORE-3: append is write-behind: ranges appear once landed without a flush; a failed write stops the writer and keeps what landed", async () => {
    const r = await (await store.asset(ASSET)).resource(SEG);
    const w = (await r.tryClaim())!;
    expect(w.append(0, bytes(40).subarray(0, 20))).toBeUndefined();
    expect(w.append(20, bytes(40).subarray(20))).toBeUndefined();
    expect(r.containsRange(0, 1)).toBe(false);
    await r.waitRange(0, 40);
    expect(await r.read(0, 40)).toEqual(bytes(40));
    void w.append(2 ** 52, bytes(1));
    await expect(w.flush()).rejects.toBeInstanceOf(StoreError);
    expect(() => w.append(40, bytes(1))).toThrow(StoreError);
    expect(r.availableRanges()).toEqual([[0, 40]]);
    await w.release();
    const again = (await r.tryClaim())!;
    await again.write(40, bytes(50).subarray(40));
    again.setLength(50);
    await again.commit();
    expect(await r.readWhole()).toEqual(bytes(50));
  });

  it("STORE-2: the canonical name appears only at commit (no half-written canonical file)", async () => {
    const r = await (await store.asset(ASSET)).resource(SEG);
    const w = (await r.tryClaim())!;
    w.setLength(10);
    await w.write(0, bytes(10));
    if (r.path !== undefined) {
      expect(existsSync(r.path)).toBe(false);
      expect(existsSync(`${r.path}.part`)).toBe(true);
    }
    expect(r.state()).toBe("partial");
    await expect(r.readWhole()).rejects.toMatchObject({ kind: "NotAvailable" });
    await w.commit();
    if (r.path !== undefined) {
      expect(existsSync(r.path)).toBe(true);
      expect(existsSync(`${r.path}.part`)).toBe(false);
    }
    expect(await r.readWhole()).toEqual(bytes(10));
  });

  it("STORE-2 STORE-3: reset drops every byte, and a shorter new version commits at exactly its length", async () => {
    const r = await (await store.asset(ASSET)).resource(SEG);
    const w = (await r.tryClaim())!;
    w.setLength(100);
    w.setValidator({ etag: '"old"' });
    await w.write(0, bytes(100, 3));
    await w.reset();
    expect(r.state()).toBe("absent");
    expect(r.finalLength()).toBeUndefined();
    expect(r.validator()).toBeUndefined();
    w.setLength(10);
    await w.write(0, bytes(10, 4));
    await w.commit();
    expect(await r.readWhole()).toEqual(bytes(10, 4));
    if (r.path !== undefined) expect(statSync(r.path).size).toBe(10);
  });

  it("STORE-7: Committed carries the byte count", async () => {
    const { bus, events } = recordingBus();
    await store.close();
    store = await kind.make(dir, { bus });
    const r = await (await store.asset(ASSET)).resource(SEG);
    await r.putWhole(bytes(33));
    expect(events).toContainEqual({
      domain: "asset",
      type: "Committed",
      assetRoot: store.assetRootOf(ASSET),
      resource: r.key,
      bytes: 33,
    });
  });

  it("STORE-2 STORE-6: close releases open writers, closes readers; further use throws Closed", async () => {
    const r = await (await store.asset(ASSET)).resource(SEG);
    const w = (await r.tryClaim())!;
    await w.write(0, bytes(5));
    const reader = await r.openReader();
    expect(await reader.read(0, 5)).toEqual(bytes(5));
    await store.close();
    expect(w.closed).toBe(true);
    await expect(reader.read(0, 5)).rejects.toMatchObject({ kind: "Closed" });
    await expect(store.asset(ASSET)).rejects.toMatchObject({ kind: "Closed" });
  });
});
