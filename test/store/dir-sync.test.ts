import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DirSyncGroup } from "../../src/store/dir-sync.js";

/** A directory fsync we can hold open, recording when each one starts and finishes. */
function observedSync() {
  const log: string[] = [];
  const pending: (() => void)[] = [];
  let n = 0;
  const fn = (dir: string): Promise<void> => {
    const id = ++n;
    log.push(`start ${id} ${dir}`);
    return new Promise<void>((resolve) => {
      pending.push(() => {
        log.push(`end ${id} ${dir}`);
        resolve();
      });
    });
  };
  const finishNext = async (): Promise<void> => {
    await Promise.resolve();
    pending.shift()?.();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { fn, log, finishNext, count: () => n };
}

describe("DirSyncGroup (STORE-2 group commit of directory fsyncs)", () => {
  it("STORE-2: every caller waits for an fsync that started after its call; concurrent callers share one", async () => {
    const s = observedSync();
    const g = new DirSyncGroup(s.fn);
    const done: string[] = [];
    const a = g.sync("/d").then(() => done.push("a"));
    await Promise.resolve();
    await Promise.resolve();
    expect(s.log).toEqual(["start 1 /d"]);
    // b, c and d arrive while fsync 1 runs: their renames may be after it started.
    const b = g.sync("/d").then(() => done.push("b"));
    const c = g.sync("/d").then(() => done.push("c"));
    const d = g.sync("/d").then(() => done.push("d"));
    await s.finishNext();
    expect(done).toEqual(["a"]);
    expect(s.log).toEqual(["start 1 /d", "end 1 /d", "start 2 /d"]);
    await s.finishNext();
    await Promise.all([a, b, c, d]);
    expect(done).toEqual(["a", "b", "c", "d"]);
    expect(s.count()).toBe(2);
  });

  it("STORE-2: directories are synced independently and a failed fsync fails only its callers", async () => {
    let calls = 0;
    const g = new DirSyncGroup(async (dir) => {
      calls++;
      if (dir === "/bad" && calls === 1) throw new Error("EIO");
    });
    await expect(g.sync("/bad")).rejects.toThrow("EIO");
    await expect(g.sync("/bad")).resolves.toBeUndefined();
    await expect(g.sync("/good")).resolves.toBeUndefined();
    expect(calls).toBe(3);
  });

  it("STORE-2: the default syncs a real directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plectrum-dirsync-"));
    try {
      const g = new DirSyncGroup();
      await expect(Promise.all([g.sync(dir), g.sync(dir), g.sync(dir)])).resolves.toHaveLength(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
