/** Random-access reads of present bytes (STORE-3), pinned while open (STORE-4). */
import type { BytesFile } from "./backend.js";
import { StoreError } from "./errors.js";
import type { ResourceImpl } from "./resource.js";
import type { Pin, ResourceReader } from "./types.js";

export class ReaderImpl implements ResourceReader {
  readonly #r: ResourceImpl;
  readonly #pin: Pin;
  #file: BytesFile | undefined;
  #generation = -1;
  #closed = false;

  constructor(r: ResourceImpl) {
    this.#r = r;
    this.#pin = r.pin();
    r.core.readers.add(this);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const r = this.#r;
    if (this.#closed || r.core.closed)
      throw new StoreError("Closed", `reader of ${r.key} is closed`);
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0)
      throw new StoreError("NotAvailable", `invalid read [${offset}, +${length})`);
    if (!r.containsRange(offset, offset + length))
      throw new StoreError(
        "NotAvailable",
        `bytes [${offset}, ${offset + length}) of ${r.key} are not present`,
      );
    if (length === 0) return new Uint8Array(0);
    // The `.part` keeps its inode across the commit rename, so an fd opened on it stays valid;
    // only a discard/reset/replace (generation bump) needs a fresh open.
    if (this.#file === undefined || this.#generation !== r.generation) {
      await this.#file?.close();
      this.#file = undefined;
      const generation = r.generation;
      const file = await r.core.backend.openRead(r.assetRoot, r.key, r.state() === "committed");
      this.#file = file;
      this.#generation = generation;
    }
    const bytes = await this.#file.read(offset, length);
    if (bytes.byteLength !== length)
      throw new StoreError(
        "Io",
        `short read of ${r.key} at ${offset}: ${bytes.byteLength}/${length}`,
      );
    return bytes;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#r.core.readers.delete(this);
    this.#pin.release();
    const f = this.#file;
    this.#file = undefined;
    await f?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
