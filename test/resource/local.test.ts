import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileError } from "../../src/file/errors.js";
import { LocalFileSource } from "../../src/file/local.js";
import { createResource } from "../../src/resource/resource.js";

let dir: string;
let path: string;
const data = randomBytes(300_000);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "plectrum-local-"));
  path = join(dir, "song.bin");
  await writeFile(path, data);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(
  stream: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  if (stream instanceof ReadableStream) {
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  } else for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

describe("local files and stream views", () => {
  it("FILE-1: a local absolute path is read in place with a known length", async () => {
    await using res = createResource(await LocalFileSource.open(path));
    expect(res.length).toBe(data.length);
    expect(await res.waitRange(0, 10)).toBe("ready");
    expect(await res.waitRange(data.length, data.length + 5)).toBe("eof");
    const buf = new Uint8Array(1000);
    expect(await res.readAt(299_500, buf)).toBe(500);
    expect(Buffer.from(buf.subarray(0, 500)).equals(data.subarray(299_500))).toBe(true);
    expect(await res.readAt(data.length, buf)).toBe(0);
  });

  it("FILE-1: a missing local file is a typed FILE_NOT_FOUND error", async () => {
    const err = await LocalFileSource.open(join(dir, "nope")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileError);
    expect((err as FileError).code).toBe("FILE_NOT_FOUND");
  });

  it("RES-2: sequential reads advance the position; seek moves it", async () => {
    await using res = createResource(await LocalFileSource.open(path));
    const buf = new Uint8Array(100);
    expect(await res.read(buf)).toBe(100);
    expect(res.position).toBe(100);
    res.seek(data.length - 10);
    expect(await res.read(buf)).toBe(10);
    expect(await res.read(buf)).toBe(0);
  });

  it("RES-2: the Node Readable and the web ReadableStream deliver exactly the asked bytes", async () => {
    await using res = createResource(await LocalFileSource.open(path));
    expect((await collect(res.nodeReadable({ start: 0 }))).equals(data)).toBe(true);
    expect(
      (await collect(res.webStream({ start: 1000, end: 71_000, chunkSize: 4096 }))).equals(
        data.subarray(1000, 71_000),
      ),
    ).toBe(true);
  });

  it("RES-2: bad view bounds are a RangeError; a closed source is FILE_CLOSED", async () => {
    const res = createResource(await LocalFileSource.open(path));
    expect(() => res.nodeReadable({ start: -1 })).toThrow(RangeError);
    expect(() => res.webStream({ start: 10, end: 5 })).toThrow(RangeError);
    await res.close();
    await expect(res.readAt(0, new Uint8Array(4))).rejects.toMatchObject({ code: "FILE_CLOSED" });
  });
});
