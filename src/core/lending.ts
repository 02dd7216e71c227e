/**
 * Lent buffers (BENCH-3/5): a transport may lend the memory behind a body chunk instead of
 * leaving it to the garbage collector, and the chunk's last holder gives it back once it no
 * longer needs the bytes, so the transport reads the next bytes into the same memory. A
 * download then allocates (and leaves for the GC) almost nothing per chunk.
 *
 * The contract: `giveBack(chunk)` may be called only by a consumer that is the chunk's last
 * holder and will never read it (or any view of the same memory) again. Everyone else simply
 * drops chunks: an unreturned loan is collected as usual. Giving back a chunk that was not lent
 * does nothing.
 */
const loans = new WeakMap<ArrayBufferLike, () => void>();

/** Lend the memory behind `chunk`; `onReturn` runs once when a holder gives it back. */
export function lend(chunk: Uint8Array, onReturn: () => void): void {
  loans.set(chunk.buffer, onReturn);
}

/** Give back the memory behind `chunk` (a no-op unless it was lent and not yet returned). */
export function giveBack(chunk: Uint8Array): void {
  const onReturn = loans.get(chunk.buffer);
  if (onReturn === undefined) return;
  loans.delete(chunk.buffer);
  onReturn();
}
