/**
 * Socket read buffers for plain-TCP connections (BENCH-3/5). Each read lands in a 256 KiB slab
 * taken from here. A slab no view was cut from goes straight back; a slab with exactly one
 * body view out is lent with that view (core `lend`): when the view's last holder gives it back
 * (the disk store, once the bytes are written), the slab returns here and carries the next
 * read. Slabs with several views out are left to the GC. The free list is bounded.
 */
export const SLAB_BYTES = 256 * 1024;
/** Free slabs kept for reuse (6 MiB: what one bulk download keeps in circulation, its store
 * write queue and read-ahead); more are dropped to the GC. */
const MAX_FREE = 24;
const free: Buffer[] = [];

export function takeSlab(): Buffer {
  return free.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
}

export function returnSlab(slab: Buffer): void {
  if (free.length < MAX_FREE) free.push(slab);
}
