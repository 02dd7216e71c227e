/** STORE-2 across processes: a live owner's claim holds; a SIGKILLed owner's lock is taken over. */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskStore } from "../../src/store/disk-store.js";
import { bytes, recordingBus, tempDir } from "./helpers.js";

const CHILD = fileURLToPath(new URL("./fixtures/claim-child.ts", import.meta.url));
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

  it("STORE-2: a lock naming a dead pid is stale; one naming our pid with an unknown token too", async () => {
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
