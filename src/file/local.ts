/**
 * FILE-1: a local absolute path is read in place: no store, no peer, no copy. Every byte is
 * present, so waits answer at once.
 */
import { type FileHandle, open } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { checkOffset, FileError } from "./errors.js";

/** True for what `openLocal` serves: an absolute filesystem path (not a URL). */
export function isLocalPath(target: string): boolean {
  return isAbsolute(target) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(target);
}

/** A read-only source over a local file (structurally a resource `ByteSource`). */
export class LocalFileSource {
  readonly url: string;
  readonly length: number;
  #fh: FileHandle | undefined;
  #position = 0;

  private constructor(path: string, fh: FileHandle, length: number) {
    this.url = path;
    this.#fh = fh;
    this.length = length;
  }

  static async open(path: string): Promise<LocalFileSource> {
    let fh: FileHandle;
    try {
      fh = await open(path, "r");
    } catch (err) {
      throw new FileError("FILE_NOT_FOUND", path, `cannot open local file ${path}`, err);
    }
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new FileError("FILE_NOT_FOUND", path, `not a regular file: ${path}`);
    }
    return new LocalFileSource(path, fh, st.size);
  }

  get position(): number {
    return this.#position;
  }

  #handle(): FileHandle {
    if (!this.#fh) throw new FileError("FILE_CLOSED", this.url, `reader closed: ${this.url}`);
    return this.#fh;
  }

  async waitRange(start: number, end: number): Promise<"ready" | "eof"> {
    checkOffset(this.url, start, "start");
    checkOffset(this.url, end, "end");
    this.#handle();
    return start >= this.length ? "eof" : "ready";
  }

  async readAt(offset: number, buffer: Uint8Array): Promise<number> {
    checkOffset(this.url, offset, "offset");
    const fh = this.#handle();
    const want = Math.max(0, Math.min(buffer.length, this.length - offset));
    let done = 0;
    while (done < want) {
      const { bytesRead } = await fh.read(buffer, done, want - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  seek(offset: number): void {
    checkOffset(this.url, offset, "offset");
    this.#position = offset;
  }

  setPlaying(): void {}

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close();
  }
}
