/**
 * Handing chunks over to the store's write queue (STORE-3, BENCH-5): memory a transport lent
 * for a chunk goes back to it only after the chunk's bytes are written (or dropped after a
 * failure), never while the queue may still read them; chunks not handed over never go back.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lend } from "../../src/core/lending.js";
import { DiskFile } from "../../src/store/disk-file.js";
import { WriteQueue } from "../../src/store/write-queue.js";
import { GatedFile } from "./gated-file.js";
import { bytes, tempDir } from "./helpers.js";

describe("write queue hand-over", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let file: GatedFile;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    file = new GatedFile(await DiskFile.open(join(dir, "a.part"), "w+"));
  });
  afterEach(async () => {
    file.release();
    await file.close().catch(() => {});
    await cleanup();
  });

  /** Four 1 KiB lent chunks at 0..4 KiB; all but the last handed over. */
  function appendLent(q: WriteQueue, body: Uint8Array, returned: number[]): void {
    for (let i = 0; i < 4; i++) {
      const chunk = Uint8Array.from(body.subarray(i * 1024, (i + 1) * 1024));
      lend(chunk, () => returned.push(i));
      void q.append(i * 1024, chunk, i !== 3);
    }
  }

  it("STORE-3 BENCH-5: handed-over chunks go back only after their write landed; others never", async () => {
    const q = new WriteQueue(file, () => {});
    const body = bytes(4 * 1024);
    const returned: number[] = [];
    file.held = true;
    appendLent(q, body, returned);
    await new Promise<void>((r) => setImmediate(r));
    expect(file.writes.length).toBe(1); // the write started and is held: nothing may go back
    expect(returned).toEqual([]);
    file.release();
    await q.flush();
    expect(returned).toEqual([0, 1, 2]);
    expect(Buffer.from(await readFile(join(dir, "a.part"))).equals(Buffer.from(body))).toBe(true);
  });

  it("STORE-3 BENCH-5: handed-over chunks of a failed write go back too (dropped, never indexed)", async () => {
    const landed: number[] = [];
    const q = new WriteQueue(file, (start) => landed.push(start));
    await file.close();
    const returned: number[] = [];
    appendLent(q, bytes(4 * 1024), returned);
    await expect(q.flush()).rejects.toMatchObject({ kind: "Io" });
    expect(returned).toEqual([0, 1, 2]);
    expect(landed).toEqual([]);
  });
});
