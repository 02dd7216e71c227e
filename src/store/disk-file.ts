/** `BytesFile` over a Node file handle: positional reads/writes, datasync. */
import { type FileHandle, open } from "node:fs/promises";
import type { BytesFile } from "./backend.js";
import { StoreError } from "./errors.js";

/** Filesystem failures (EFBIG, ENOSPC, EIO...) surface as typed `StoreError("Io")`. */
async function io<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new StoreError("Io", `${what}: ${(err as Error).message}`, { cause: err });
  }
}

export class DiskFile implements BytesFile {
  readonly #fh: FileHandle;
  #closed = false;

  private constructor(fh: FileHandle) {
    this.#fh = fh;
  }

  static async open(path: string, flags: "r" | "r+" | "w+"): Promise<DiskFile> {
    return new DiskFile(await open(path, flags));
  }

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    await io(`write at ${offset}`, async () => {
      let done = 0;
      while (done < bytes.byteLength) {
        const { bytesWritten } = await this.#fh.write(
          bytes,
          done,
          bytes.byteLength - done,
          offset + done,
        );
        done += bytesWritten;
      }
    });
  }

  async writev(offset: number, chunks: readonly Uint8Array[]): Promise<void> {
    await io(`write at ${offset}`, async () => {
      let rest = chunks;
      let at = offset;
      while (rest.length > 0) {
        const { bytesWritten } = await this.#fh.writev(rest, at);
        if (bytesWritten === 0) throw new Error("writev made no progress");
        at += bytesWritten;
        rest = skip(rest, bytesWritten);
      }
    });
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    return io(`read at ${offset}`, async () => {
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await this.#fh.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === length ? buf : buf.subarray(0, done);
    });
  }

  async truncate(length: number): Promise<void> {
    await io(`truncate to ${length}`, () => this.#fh.truncate(length));
  }

  async sync(): Promise<void> {
    await io("datasync", () => this.#fh.datasync());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#fh.close();
  }
}

/** `chunks` without their first `n` bytes (after a short writev). */
function skip(chunks: readonly Uint8Array[], n: number): readonly Uint8Array[] {
  let left = n;
  let i = 0;
  while (i < chunks.length && left >= (chunks[i]?.byteLength ?? 0)) {
    left -= chunks[i]?.byteLength ?? 0;
    i++;
  }
  const rest = chunks.slice(i);
  const first = rest[0];
  if (first !== undefined && left > 0) rest[0] = first.subarray(left);
  return rest;
}

/** fsync a directory so a rename inside it is durable (STORE-2). */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
