/** `createResource`: a `Resource` over any `ByteSource` (RES-2). */
import type { Readable } from "node:stream";
import type { ByteSource, Resource, ViewOptions, WaitOptions, WaitOutcome } from "./types.js";
import { toNodeReadable, toWebStream } from "./views.js";

class SourceResource implements Resource {
  readonly #src: ByteSource;

  constructor(source: ByteSource) {
    this.#src = source;
  }

  get url(): string {
    return this.#src.url;
  }

  get length(): number | null {
    return this.#src.length;
  }

  get position(): number {
    return this.#src.position;
  }

  waitRange(start: number, end: number, options?: WaitOptions): Promise<WaitOutcome> {
    return this.#src.waitRange(start, end, options);
  }

  readAt(offset: number, buffer: Uint8Array, options?: WaitOptions): Promise<number> {
    return this.#src.readAt(offset, buffer, options);
  }

  async read(buffer: Uint8Array, options?: WaitOptions): Promise<number> {
    const from = this.#src.position;
    const n = await this.#src.readAt(from, buffer, options);
    if (n > 0) this.#src.seek(from + n);
    return n;
  }

  seek(offset: number): void {
    this.#src.seek(offset);
  }

  setPlaying(playing: boolean): void {
    this.#src.setPlaying(playing);
  }

  nodeReadable(options?: ViewOptions): Readable {
    return toNodeReadable(this.#src, options);
  }

  webStream(options?: ViewOptions): ReadableStream<Uint8Array> {
    return toWebStream(this.#src, options);
  }

  close(): Promise<void> {
    return this.#src.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Wrap a protocol layer's `ByteSource` (file peer, HLS peer) into a `Resource`. */
export function createResource(source: ByteSource): Resource {
  return new SourceResource(source);
}
