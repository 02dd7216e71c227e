/**
 * Stream views over any `ByteSource` (RES-2): a Node `Readable` and a web `ReadableStream`.
 * Both read through `readAt`, so they inherit "no premature EOF"; each view advances the
 * source's position as it goes (it is a reader) and stops only itself when destroyed.
 */
import { Readable } from "node:stream";
import type { ByteSource, ViewOptions } from "./types.js";

const DEFAULT_CHUNK = 64 * 1024;

interface Span {
  start: number;
  end: number | undefined;
  chunkSize: number;
}

function span(source: ByteSource, options: ViewOptions): Span {
  const start = options.start ?? source.position;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  if (!Number.isSafeInteger(start) || start < 0)
    throw new RangeError(`view start must be a non-negative integer, got ${start}`);
  if (options.end !== undefined && (!Number.isSafeInteger(options.end) || options.end < start))
    throw new RangeError(`view end must be an integer >= start, got ${options.end}`);
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1)
    throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  return { start, end: options.end, chunkSize };
}

/** Yields the bytes of the span in order; ends at the span's end or the proven end. */
async function* chunks(
  source: ByteSource,
  { start, end, chunkSize }: Span,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  let pos = start;
  while (end === undefined || pos < end) {
    const want = end === undefined ? chunkSize : Math.min(chunkSize, end - pos);
    const buf = new Uint8Array(want);
    const n = await source.readAt(pos, buf, { signal });
    if (n === 0) return;
    pos += n;
    source.seek(pos);
    yield n === want ? buf : buf.subarray(0, n);
  }
}

/** A Node `Readable` over the source; `destroy()` aborts a pending wait at once. */
export function toNodeReadable(source: ByteSource, options: ViewOptions = {}): Readable {
  const s = span(source, options);
  const ac = new AbortController();
  const it = chunks(source, s, ac.signal);
  return new Readable({
    highWaterMark: s.chunkSize,
    read() {
      it.next().then(
        (r) => {
          if (this.destroyed) return;
          this.push(r.done ? null : r.value);
        },
        (err: unknown) => {
          if (!this.destroyed) this.destroy(err instanceof Error ? err : new Error(String(err)));
        },
      );
    },
    destroy(err, callback) {
      ac.abort();
      callback(err);
    },
  });
}

/** A web `ReadableStream` over the source; `cancel()` aborts a pending wait at once. */
export function toWebStream(
  source: ByteSource,
  options: ViewOptions = {},
): ReadableStream<Uint8Array> {
  const s = span(source, options);
  const ac = new AbortController();
  const it = chunks(source, s, ac.signal);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const r = await it.next();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      cancel() {
        ac.abort();
      },
    },
    { highWaterMark: 0 },
  );
}
