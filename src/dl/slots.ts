/**
 * The four FIFO slots of DL-4. Removal from the middle (cancellation, priority moves) is
 * O(1): the entry's node is marked dead and skipped when it reaches the front.
 */
import type { Entry } from "./entry.js";

/** An entry's place in a FIFO; `entry` is cleared when it leaves (a dead node). */
export interface SlotNode {
  entry: Entry | undefined;
}

class Fifo {
  #items: SlotNode[] = [];
  #head = 0;
  live = 0;

  push(node: SlotNode): void {
    this.#items.push(node);
    this.live++;
  }

  /** The first live entry, without removing it. */
  peek(): Entry | undefined {
    while (this.#head < this.#items.length) {
      const e = this.#items[this.#head]?.entry;
      if (e) return e;
      this.#head++;
    }
    this.#compact();
    return undefined;
  }

  #compact(): void {
    if (this.#head === 0) return;
    if (this.#head >= this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Live entries in FIFO order. */
  *entries(): IterableIterator<Entry> {
    for (let i = this.#head; i < this.#items.length; i++) {
      const e = this.#items[i]?.entry;
      if (e) yield e;
    }
  }
}

export class Slots {
  readonly #fifos = [new Fifo(), new Fifo(), new Fifo(), new Fifo()] as const;
  #size = 0;

  /** Append `entry` to the back of `slot` (its `slot` and `node` fields are updated). */
  push(entry: Entry, slot: number): void {
    const node: SlotNode = { entry };
    entry.slot = slot;
    entry.node = node;
    this.#size++;
    this.#fifos[slot as 0 | 1 | 2 | 3].push(node);
  }

  /** Remove a queued entry wherever it is; false when it was not queued. */
  remove(entry: Entry): boolean {
    const node = entry.node;
    if (!node) return false;
    node.entry = undefined;
    entry.node = undefined;
    this.#size--;
    this.#fifos[entry.slot as 0 | 1 | 2 | 3].live--;
    return true;
  }

  /** The front of `slot`, without removing it. */
  peek(slot: number): Entry | undefined {
    return this.#fifos[slot as 0 | 1 | 2 | 3].peek();
  }

  count(slot: number): number {
    return this.#fifos[slot as 0 | 1 | 2 | 3].live;
  }

  get urgent(): number {
    return this.count(0) + this.count(1);
  }

  get demand(): number {
    return this.count(2) + this.count(3);
  }

  get size(): number {
    return this.#size;
  }

  counts(): [number, number, number, number] {
    return [this.count(0), this.count(1), this.count(2), this.count(3)];
  }

  /** Every queued entry, slot 0 first, FIFO within a slot. */
  *entries(): IterableIterator<Entry> {
    for (const f of this.#fifos) yield* f.entries();
  }
}
