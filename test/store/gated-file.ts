/** A real `DiskFile` wrapped to count its writes and hold them (write-queue tests). */
import type { BytesFile } from "../../src/store/backend.js";
import type { DiskFile } from "../../src/store/disk-file.js";

/** A real `DiskFile` whose writes are counted and, while `held`, parked until `release()`. */
export class GatedFile implements BytesFile {
  readonly file: DiskFile;
  /** Every write or writev: [offset, bytes, chunks]. */
  readonly writes: Array<[number, number, number]> = [];
  held = false;
  inFlight = 0;
  maxInFlight = 0;
  readonly #parked: Array<() => void> = [];

  constructor(file: DiskFile) {
    this.file = file;
  }

  release(): void {
    this.held = false;
    for (const go of this.#parked.splice(0)) go();
  }

  async #gate<T>(run: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.held) await new Promise<void>((resolve) => this.#parked.push(resolve));
      return await run();
    } finally {
      this.inFlight--;
    }
  }

  write(offset: number, b: Uint8Array): Promise<void> {
    this.writes.push([offset, b.byteLength, 1]);
    return this.#gate(() => this.file.write(offset, b));
  }
  writev(offset: number, chunks: readonly Uint8Array[]): Promise<void> {
    const n = chunks.reduce((s, c) => s + c.byteLength, 0);
    this.writes.push([offset, n, chunks.length]);
    return this.#gate(() => this.file.writev(offset, chunks));
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    return this.file.read(offset, length);
  }
  truncate(length: number): Promise<void> {
    return this.file.truncate(length);
  }
  sync(): Promise<void> {
    return this.file.sync();
  }
  close(): Promise<void> {
    return this.file.close();
  }
}
