/** STORE-5 crash safety and STORE-3 [+] partial downloads across restarts (disk store). */
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  readFileSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskStore } from "../../src/store/disk-store.js";
import { bytes, recordingBus, tempDir } from "./helpers.js";

const ASSET = "http://h.test/show.m3u8";
const A = "http://h.test/a.ts";
const B = "http://h.test/b.ts";

describe("STORE-5 / STORE-3 disk recovery", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => cleanup());

  /** A committed and a checkpointed partial resource; returns the index path and keys. */
  async function seed() {
    const store = await DiskStore.open({ root: dir });
    const asset = await store.asset(ASSET);
    const a = await asset.resource(A);
    await a.putWhole(bytes(500));
    const b = await asset.resource(B);
    const w = (await b.tryClaim())!;
    w.setLength(1000);
    await w.write(0, bytes(300));
    await w.release();
    await store.close();
    return { index: join(asset.dir!, ".index"), a: a.path!, b: b.path! };
  }

  it("STORE-3 [+]: a partial download's ranges, length and validator survive a restart and resume", async () => {
    let store = await DiskStore.open({ root: dir });
    let r = await (await store.asset(ASSET)).resource(B);
    const w = (await r.tryClaim())!;
    w.setLength(400);
    w.setValidator({ etag: '"e1"', lastModified: "Tue, 01 Jan 2030 00:00:00 GMT" });
    await w.write(0, bytes(400).subarray(0, 100));
    await w.write(200, bytes(400).subarray(200, 300));
    await w.release();
    await store.close();

    const { bus, events } = recordingBus();
    store = await DiskStore.open({ root: dir, bus });
    r = await (await store.asset(ASSET)).resource(B);
    expect(r.state()).toBe("partial");
    expect(r.availableRanges()).toEqual([
      [0, 100],
      [200, 300],
    ]);
    expect(r.finalLength()).toBe(400);
    expect(r.validator()).toEqual({ etag: '"e1"', lastModified: "Tue, 01 Jan 2030 00:00:00 GMT" });
    expect(await r.read(200, 100)).toEqual(bytes(400).subarray(200, 300));
    const w2 = (await r.tryClaim())!;
    expect(events.map((e) => e.type)).toContain("PartialResumed");
    await w2.write(100, bytes(400).subarray(100, 200));
    await w2.write(300, bytes(400).subarray(300));
    await w2.commit();
    expect(await r.readWhole()).toEqual(bytes(400));
    await store.close();
  });

  it("STORE-5: a garbage index is rebuilt from a scan; nothing committed is lost; a .part without record is dropped", async () => {
    const s = await seed();
    writeFileSync(s.index, "\u0000\u00ffnot json at all\n{{{{\n");
    const { bus, events } = recordingBus();
    const store = await DiskStore.open({ root: dir, bus });
    const asset = await store.asset(ASSET);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "IndexRebuilt",
        assetRoot: asset.assetRoot,
        reason: "index garbage",
      }),
    );
    const a = await asset.resource(A);
    expect(a.state()).toBe("committed");
    expect(a.url).toBe(A);
    expect(await a.readWhole()).toEqual(bytes(500));
    const b = await asset.resource(B);
    expect(b.state()).toBe("absent"); // its range map was lost: its bytes are fetched again
    expect(existsSync(`${s.b}.part`)).toBe(false);
    expect((await store.verify()).problems).toEqual([]);
    await store.close();
  });

  it("STORE-5: a truncated index (torn last line) is rebuilt; valid records are kept", async () => {
    const s = await seed();
    const size = statSync(s.index).size;
    truncateSync(s.index, size - 5);
    const { bus, events } = recordingBus();
    const store = await DiskStore.open({ root: dir, bus });
    const asset = await store.asset(ASSET);
    expect(events.find((e) => e.type === "IndexRebuilt")).toMatchObject({
      reason: "index truncated",
    });
    expect((await asset.resource(A)).state()).toBe("committed");
    await store.close();
    // the rebuilt index is clean: a second start-up rebuilds nothing
    const again = recordingBus();
    const store2 = await DiskStore.open({ root: dir, bus: again.bus });
    await store2.asset(ASSET);
    expect(again.events.filter((e) => e.type === "IndexRebuilt")).toEqual([]);
    await store2.close();
  });

  it("STORE-5: an empty or deleted index is rebuilt from the files", async () => {
    const s = await seed();
    for (const damage of ["empty", "deleted"]) {
      if (damage === "empty") writeFileSync(s.index, "");
      else spawnSync("rm", [s.index]);
      const { bus, events } = recordingBus();
      const store = await DiskStore.open({ root: dir, bus });
      const asset = await store.asset(ASSET);
      expect(events.filter((e) => e.type === "IndexRebuilt")).toHaveLength(1);
      expect(await (await asset.resource(A)).readWhole()).toEqual(bytes(500));
      await store.close();
    }
  });

  it("STORE-5: a commit whose index record was lost (crash after rename) is still found", async () => {
    const s = await seed();
    const lines = readFileSync(s.index, "utf8").split("\n");
    // drop a.ts's committed record, as if the process died between rename and append
    writeFileSync(s.index, lines.filter((l) => !l.includes("a.ts")).join("\n"));
    const store = await DiskStore.open({ root: dir });
    const a = await (await store.asset(ASSET)).resource(A);
    expect(a.state()).toBe("committed");
    expect(a.finalLength()).toBe(500);
    await store.close();
  });

  it("STORE-5: a .part with no index record is invisible and rewritten from scratch", async () => {
    const store = await DiskStore.open({ root: dir });
    const asset = await store.asset(ASSET);
    const r = await asset.resource(A);
    await (await asset.resource(B)).putWhole(bytes(1)); // creates the host directory
    writeFileSync(`${r.path}.part`, bytes(64, 9));
    expect(r.state()).toBe("absent");
    expect(r.containsRange(0, 1)).toBe(false);
    const w = (await r.tryClaim())!;
    expect(r.presentBytes()).toBe(0);
    w.setLength(10);
    await w.write(0, bytes(10));
    await w.commit();
    expect(await r.readWhole()).toEqual(bytes(10));
    await store.close();
  });

  it("STORE-5: a partial record whose .part is shorter than its ranges is not trusted", async () => {
    const s = await seed();
    truncateSync(`${s.b}.part`, 100);
    const store = await DiskStore.open({ root: dir });
    const b = await (await store.asset(ASSET)).resource(B);
    expect(b.state()).toBe("absent");
    await store.close();
  });

  it("STORE-4 [+]: limits are applied at start-up", async () => {
    await seed();
    const store0 = await DiskStore.open({ root: dir });
    await (await (await store0.asset("http://h.test/other")).resource(A)).putWhole(bytes(10));
    await store0.close();
    const { bus, events } = recordingBus();
    const store = await DiskStore.open({ root: dir, bus, maxAssets: 1 });
    expect(events.filter((e) => e.type === "Evicted")).toHaveLength(1);
    expect(await store.list()).toHaveLength(1);
    await store.close();
  });

  it("STORE-5: verify reports every mismatch; gc drops orphans, stale locks and old temp files", async () => {
    const s = await seed();
    const store = await DiskStore.open({ root: dir });
    const asset = await store.asset(ASSET);
    appendFileSync(s.a, "xx"); // size mismatch
    writeFileSync(join(asset.dir!, "h.test", "stray.ts"), "zz"); // unindexed committed file
    writeFileSync(join(asset.dir!, "h.test", "orphan.ts.part"), "zzzz"); // orphan part
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    writeFileSync(
      join(asset.dir!, "h.test", "orphan.ts.lock"),
      JSON.stringify({ pid: dead, host: hostname(), token: "t" }),
    );
    writeFileSync(join(asset.dir!, "h.test", "x.lock.tmp"), "");
    utimesSync(join(asset.dir!, "h.test", "x.lock.tmp"), new Date(0), new Date(0));
    const report = await store.verify();
    expect(report.assets).toBe(1);
    expect(report.problems.map((p) => [p.resource, p.problem]).sort()).toEqual(
      [
        ["h.test/a.ts", "size-mismatch"],
        ["h.test/stray.ts", "unindexed-file"],
        ["h.test/orphan.ts", "orphan-part"],
      ].sort(),
    );
    const gc = await store.gc();
    expect(gc.evicted).toEqual([]);
    expect(gc.removedFiles).toBe(3);
    expect(gc.freedBytes).toBe(4);
    expect(existsSync(`${s.b}.part`)).toBe(true); // indexed partial kept
    const list = await store.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ url: ASSET, committed: 2, partial: 1, pinned: false });
    await store.close();
  });
});
