/**
 * The write-behind queue under the store writer (STORE-3, BENCH-3): over a real file, wrapped
 * only to count the writes and to hold them until the test lets them land.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskFile } from "../../src/store/disk-file.js";
import { BATCH_BYTES, QUEUE_BUDGET, WriteQueue } from "../../src/store/write-queue.js";
import { GatedFile } from "./gated-file.js";
import { bytes, tempDir } from "./helpers.js";

const CHUNK = 64 * 1024;

describe("write-behind queue", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let file: GatedFile;
  let landed: Array<[number, number]>;
  let q: WriteQueue;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    file = new GatedFile(await DiskFile.open(join(dir, "x.part"), "w+"));
    landed = [];
    q = new WriteQueue(file, (start, end) => landed.push([start, end]));
  });
  afterEach(async () => {
    file.release();
    await q.flush().catch(() => {});
    await file.close();
    await cleanup();
  });

  it("STORE-3: contiguous chunks are coalesced into BATCH_BYTES positional writes, landed in full", async () => {
    const body = bytes(3 * BATCH_BYTES);
    for (let at = 0; at < body.length; at += CHUNK)
      expect(q.append(at, body.subarray(at, at + CHUNK))).toBeUndefined();
    await q.flush();
    expect(file.writes).toEqual([
      [0, BATCH_BYTES, BATCH_BYTES / CHUNK],
      [BATCH_BYTES, BATCH_BYTES, BATCH_BYTES / CHUNK],
      [2 * BATCH_BYTES, BATCH_BYTES, BATCH_BYTES / CHUNK],
    ]);
    expect(landed.sort((a, b) => a[0] - b[0])).toEqual([
      [0, BATCH_BYTES],
      [BATCH_BYTES, 2 * BATCH_BYTES],
      [2 * BATCH_BYTES, 3 * BATCH_BYTES],
    ]);
    expect(Buffer.from(await readFile(join(dir, "x.part"))).equals(body)).toBe(true);
  });

  it("STORE-3: a range is reported only after its write landed; a lone chunk lands without a flush", async () => {
    file.held = true;
    void q.append(0, bytes(1000));
    // The batch closes at the end of this event-loop turn and its write starts, but is held.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(file.writes).toEqual([[0, 1000, 1]]);
    expect(landed).toEqual([]);
    file.release();
    await q.flush();
    expect(landed).toEqual([[0, 1000]]);
  });

  it("BENCH-3 STORE-3: while a write is in flight, chunks of later loop turns keep filling one batch, written when the disk is free", async () => {
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const body = bytes(4 * CHUNK);
    file.held = true;
    void q.append(0, body.subarray(0, CHUNK));
    await turn(); // its turn ended with no write in flight: written at once (held)
    expect(file.writes).toEqual([[0, CHUNK, 1]]);
    for (let i = 1; i < 4; i++) {
      void q.append(i * CHUNK, body.subarray(i * CHUNK, (i + 1) * CHUNK));
      await turn();
    }
    // three loop turns later nothing more was written: the first write still holds the disk
    expect(file.writes).toEqual([[0, CHUNK, 1]]);
    expect(landed).toEqual([]);
    file.release();
    await q.flush();
    expect(file.writes).toEqual([
      [0, CHUNK, 1],
      [CHUNK, 3 * CHUNK, 3],
    ]);
    expect(landed.sort((a, b) => a[0] - b[0])).toEqual([
      [0, CHUNK],
      [CHUNK, 4 * CHUNK],
    ]);
    expect(Buffer.from(await readFile(join(dir, "x.part"))).equals(body)).toBe(true);
  });

  it("STORE-3: a jump in offsets starts a new batch; both ranges land with their own bytes", async () => {
    const body = bytes(10 * CHUNK);
    void q.append(0, body.subarray(0, CHUNK));
    void q.append(CHUNK, body.subarray(CHUNK, 2 * CHUNK));
    void q.append(8 * CHUNK, body.subarray(8 * CHUNK, 9 * CHUNK));
    await q.flush();
    expect(file.writes).toEqual([
      [0, 2 * CHUNK, 2],
      [8 * CHUNK, CHUNK, 1],
    ]);
    expect(landed).toEqual([
      [0, 2 * CHUNK],
      [8 * CHUNK, 9 * CHUNK],
    ]);
    const disk = await readFile(join(dir, "x.part"));
    expect(disk.subarray(8 * CHUNK).equals(body.subarray(8 * CHUNK, 9 * CHUNK))).toBe(true);
  });

  it("BENCH-5: back-pressure past QUEUE_BUDGET, at most two writes in flight, released as writes land", async () => {
    file.held = true;
    let at = 0;
    let wait: Promise<void> | undefined;
    while (wait === undefined) {
      wait = q.append(at, bytes(CHUNK, at / CHUNK));
      at += CHUNK;
    }
    // The promise comes at the first chunk past the budget, not before.
    expect(at).toBe(QUEUE_BUDGET + CHUNK);
    let resumed = false;
    void wait.then(() => {
      resumed = true;
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(resumed).toBe(false);
    expect(file.maxInFlight).toBe(2);
    file.release();
    await wait;
    expect(resumed).toBe(true);
    await q.flush();
    expect(file.maxInFlight).toBe(2);
    expect(landed.reduce((n, [a, b]) => n + (b - a), 0)).toBe(at);
  });

  it("STORE-3: a failed write is never reported; flush and later appends throw it, queued bytes are dropped", async () => {
    await file.close();
    void q.append(0, bytes(100));
    void q.append(5000, bytes(100));
    void q.append(9000, bytes(100)); // a third batch waits for a slot, then is dropped
    await expect(q.flush()).rejects.toMatchObject({ kind: "Io" });
    expect(landed).toEqual([]);
    expect(() => q.append(100, bytes(10))).toThrow(/write at/);
    // flush settles (the dropped bytes are not waited for) and keeps reporting the failure
    await expect(q.flush()).rejects.toMatchObject({ kind: "Io" });
  });
});
