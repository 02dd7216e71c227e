import { readdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DiskStore } from "../../src/store/disk-store.js";
import { bytes, tempDir } from "./helpers.js";

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe("DiskBackend claims skip the mkdir of directories they made", () => {
  it("STORE-1 STORE-2: a resource directory removed behind the store's back is made again at the next claim", async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const store = await DiskStore.open({ root: t.dir });
    try {
      const asset = await store.asset("http://h.test/s/master.m3u8");
      const a = await asset.resource("http://h.test/s/v0/seg0.ts");
      await a.putWhole(bytes(100, 1));
      const segDir = dirname(a.path!);
      // Another process (`plectrum cache rm`, a user) removes the directory meanwhile.
      await rm(segDir, { recursive: true, force: true });
      const b = await asset.resource("http://h.test/s/v0/seg1.ts");
      await b.putWhole(bytes(200, 2));
      expect(b.state()).toBe("committed");
      expect((await b.readWhole()).byteLength).toBe(200);
      expect((await readdir(segDir)).sort()).toEqual(["seg1.ts"]);
    } finally {
      await store.close();
    }
  });
});
