/** STORE-2 across processes: a live owner's claim holds; a SIGKILLed owner's lock is taken over. */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskStore } from "../../src/store/disk-store.js";
import { bytes, recordingBus, tempDir } from "./helpers.js";

const CHILD = fileURLToPath(new URL("./fixtures/claim-child.ts", import.meta.url));
const RACER = fileURLToPath(new URL("./fixtures/race-child.ts", import.meta.url));
const URL_ = "http://h.test/big.bin";

function startChild(root: string): { child: ChildProcess; ready: Promise<string> } {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, root, URL_], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const ready = new Promise<string>((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.trim());
    });
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("exit", (code) => reject(new Error(`child exited ${code}: ${err}`)));
  });
  return { child, ready };
}

describe("STORE-2 claims across processes", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => cleanup());

  it("STORE-2 STORE-3 STORE-5: a SIGKILLed owner's claim is taken over; only checkpointed bytes count", async () => {
    const { child, ready } = startChild(dir);
    expect(await ready).toBe("ready");
    const { bus, events } = recordingBus();
    const store = await DiskStore.open({ root: dir, bus });
    try {
      const r = await (await store.asset(URL_)).resource(URL_);
      expect(r.isClaimed()).toBe(true);
      expect(await r.tryClaim()).toBeUndefined();
      const exited = new Promise((res) => child.once("exit", res));
      child.kill("SIGKILL");
      await exited;
      expect(r.isClaimed()).toBe(false);
      const w = await r.tryClaim();
      expect(w).toBeDefined();
      // the un-checkpointed second 1000 bytes are invisible and must be fetched again
      expect(r.availableRanges()).toEqual([[0, 1000]]);
      expect(r.finalLength()).toBe(3000);
      expect(events).toContainEqual({
        domain: "asset",
        type: "PartialResumed",
        assetRoot: store.assetRootOf(URL_),
        resource: r.key,
        bytes: 1000,
      });
      expect(r.firstGap(0)).toEqual({ start: 1000, end: 3000 });
      await w!.write(1000, bytes(2000));
      await w!.commit();
      const all = await r.readWhole();
      expect(all.subarray(0, 1000)).toEqual(new Uint8Array(1000).fill(7));
      expect(all.subarray(1000)).toEqual(bytes(2000));
      expect(existsSync(`${r.path}.lock`)).toBe(false);
      expect(existsSync(`${r.path}.part`)).toBe(false);
    } finally {
      child.kill("SIGKILL");
      await store.close();
    }
  });

  it("STORE-2: a lock naming a dead pid is stale, as is our pid with an unknown token, unparsable content, or a dead take-over guard", async () => {
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    const store = await DiskStore.open({ root: dir });
    const r = await (await store.asset(URL_)).resource(URL_);
    const w0 = await r.tryClaim();
    await w0!.release(); // creates the directory; leaves no lock
    for (const pid of [dead, process.pid]) {
      writeFileSync(`${r.path}.lock`, JSON.stringify({ pid, host: hostname(), token: "old" }));
      expect(r.isClaimed()).toBe(false);
      const w = await r.tryClaim();
      expect(w).toBeDefined();
      await w!.release();
    }
    // a lock is never visible partly written (temp + link), so content that does not parse is
    // garbage, not a claim in progress: stale at once
    for (const garbage of ["", '{"pid":', "\u0000\u0000"]) {
      writeFileSync(`${r.path}.lock`, garbage);
      expect(r.isClaimed()).toBe(false);
      const w = await r.tryClaim();
      expect(w).toBeDefined();
      await w!.release();
    }
    // a take-over guard left by a claimant that died mid-take-over does not block either
    const stale = JSON.stringify({ pid: dead, host: hostname(), token: "g" });
    writeFileSync(`${r.path}.lock`, stale);
    writeFileSync(`${r.path}.lock.tmp`, stale);
    const w2 = await r.tryClaim();
    expect(w2).toBeDefined();
    expect(existsSync(`${r.path}.lock.tmp`)).toBe(false);
    await w2!.release();
    // a live foreign owner (our parent process) is respected
    writeFileSync(
      `${r.path}.lock`,
      JSON.stringify({ pid: process.ppid, host: hostname(), token: "live" }),
    );
    expect(r.isClaimed()).toBe(true);
    expect(await r.tryClaim()).toBeUndefined();
    await store.close();
  });
});

describe("STORE-2 claim temps left by a crash", () => {
  it("STORE-2 STORE-5: a claim temp left by a crashed claimant is never taken for a lock; the next process's first claim and gc remove it, a live claimant's temp stays", async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const s1 = await DiskStore.open({ root: dir });
      const r1 = await (await s1.asset(URL_)).resource(URL_);
      await (await r1.tryClaim())!.release(); // creates the directories
      await s1.close();
      const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
      const claim = (pid: number, token: string) =>
        JSON.stringify({ pid, host: hostname(), token });
      const lock = `${r1.path}.lock`;
      // crashed after its write, before the link / before its write / after link, before unlink
      const written = `${lock}.${dead}.0badc0de.tmp`;
      const empty = `${lock}.${dead}.0000beef.tmp`;
      const linked = `${lock}.${dead}.11111111.tmp`;
      // a claimant in progress (our parent: alive) and an old guard's temp of a dead one
      const live = `${lock}.${process.ppid}.00c0ffee.tmp`;
      const guardTemp = `${lock}.tmp.${dead}.22222222.tmp`;
      writeFileSync(written, claim(dead, "a"));
      writeFileSync(empty, "");
      writeFileSync(linked, claim(dead, "b"));
      writeFileSync(lock, claim(dead, "b"));
      writeFileSync(live, claim(process.ppid, "c"));
      writeFileSync(guardTemp, claim(dead, "d"));

      const s2 = await DiskStore.open({ root: dir });
      const r2 = await (await s2.asset(URL_)).resource(URL_);
      expect(r2.isClaimed()).toBe(false); // only the dead owner's lock; temps are no locks
      const w = await r2.tryClaim();
      expect(w).toBeDefined();
      for (const gone of [written, empty, linked, guardTemp]) expect(existsSync(gone)).toBe(false);
      expect(existsSync(live)).toBe(true);
      await w!.release();
      expect(existsSync(lock)).toBe(false);

      // gc removes a dead claimant's temp at once (not after the 60 s of other temps)
      writeFileSync(written, claim(dead, "a"));
      const gc = await s2.gc();
      expect(gc.removedFiles).toBe(1);
      expect(existsSync(written)).toBe(false);
      expect(existsSync(live)).toBe(true);
      expect(r2.isClaimed()).toBe(false);
      await s2.close();
    } finally {
      await cleanup();
    }
  });
});

describe("STORE-2 claim race across processes", () => {
  /** Run the race child with `args`; resolves with its last stdout line split into numbers. */
  function runChild(
    dir: string,
    arg: string,
    onLine?: (line: string) => void,
  ): Promise<[number, number]> {
    return new Promise((resolve, reject) => {
      const c = spawn(process.execPath, ["--import", "tsx", RACER, dir, URL_, arg], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      c.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const lines = out.split("\n");
        for (const line of lines.slice(0, -1)) onLine?.(line);
      });
      c.on("exit", (code) => {
        if (code !== 0) reject(new Error(`race child (${arg}) exited ${code}`));
        const [a, b] = out.trim().split("\n").at(-1)?.split(" ").map(Number) ?? [];
        resolve([a ?? -1, b ?? -1]);
      });
    });
  }

  it("STORE-2: four processes racing for one claim (from a stale lock) never hold it together, and a fifth reading the lock never sees it partly written", async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const store = await DiskStore.open({ root: dir });
      const r = await (await store.asset(URL_)).resource(URL_);
      await (await r.tryClaim())!.release(); // creates the directories
      const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
      writeFileSync(`${r.path}.lock`, JSON.stringify({ pid: dead, host: hostname(), token: "x" }));
      await store.close();
      let watching: () => void = () => {};
      const started = new Promise<void>((resolve) => {
        watching = resolve;
      });
      const watcher = runChild(dir, "watch", (line) => {
        if (line === "watching") watching();
      });
      await started;
      const results = await Promise.all([0, 1, 2, 3].map(() => runChild(dir, "40")));
      writeFileSync(join(dir, "done"), "");
      const [reads, partial] = await watcher;
      expect(results.reduce((n, [, v]) => n + v, 0)).toBe(0);
      expect(results.reduce((n, [c]) => n + c, 0)).toBeGreaterThan(0);
      expect(reads).toBeGreaterThan(0);
      expect(partial).toBe(0);
      expect(existsSync(`${r.path}.lock`)).toBe(false);
      const left = (await readdir(dirname(r.path!))).filter((f) => /\.(lock|tmp)$/.test(f));
      expect(left).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});

describe("STORE-2 STORE-3 two stores on one root", () => {
  it("STORE-2 STORE-3 STORE-4: a second store instance cannot claim or remove a held resource and sees checkpoints via refresh", async () => {
    const { dir, cleanup } = await tempDir();
    const s1 = await DiskStore.open({ root: dir });
    const s2 = await DiskStore.open({ root: dir });
    try {
      const r1 = await (await s1.asset(URL_)).resource(URL_);
      const r2 = await (await s2.asset(URL_)).resource(URL_);
      expect(r1).not.toBe(r2);
      const w = (await r1.tryClaim())!;
      expect(await r2.tryClaim()).toBeUndefined();
      expect(r2.isClaimed()).toBe(true);
      // STORE-4: an asset another store instance (or process) is writing into is not removed
      await expect(s2.remove(URL_)).rejects.toMatchObject({ kind: "Busy" });
      expect((await s2.list())[0]).toMatchObject({ pinned: true });
      w.setLength(200);
      await w.write(0, bytes(200).subarray(0, 100));
      await w.checkpoint();
      const waiting = r2.waitRange(0, 100);
      await r2.refresh();
      await waiting;
      expect(r2.availableRanges()).toEqual([[0, 100]]);
      expect(await r2.read(0, 100)).toEqual(bytes(200).subarray(0, 100));
      await w.write(100, bytes(200).subarray(100));
      await w.commit();
      await r2.refresh();
      expect(r2.state()).toBe("committed");
      expect(await r2.readWhole()).toEqual(bytes(200));
    } finally {
      await s1.close();
      await s2.close();
      await cleanup();
    }
  });
});

describe("STORE-3 automatic checkpoints", () => {
  it("STORE-3 [+]: every checkpointBytes written, the range map reaches the index without an explicit checkpoint", async () => {
    const { dir, cleanup } = await tempDir();
    const s1 = await DiskStore.open({ root: dir, checkpointBytes: 10 });
    const s2 = await DiskStore.open({ root: dir });
    try {
      const r1 = await (await s1.asset(URL_)).resource(URL_);
      const r2 = await (await s2.asset(URL_)).resource(URL_);
      const w = (await r1.tryClaim())!;
      await w.write(0, bytes(30).subarray(0, 12));
      await w.write(12, bytes(30).subarray(12, 24));
      // the checkpoint runs beside the writes: poll the other instance by event-loop turns
      for (let i = 0; i < 2000 && !r2.containsRange(0, 12); i++) {
        await r2.refresh();
        await new Promise<void>((res) => setImmediate(res));
      }
      expect(r2.containsRange(0, 12)).toBe(true);
      expect(await r2.read(0, 12)).toEqual(bytes(30).subarray(0, 12));
      await w.release();
    } finally {
      await s1.close();
      await s2.close();
      await cleanup();
    }
  });
});
