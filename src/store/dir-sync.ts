/**
 * Group commit of directory fsyncs (STORE-2). A commit's rename is durable once an fsync of
 * its directory STARTS after the rename. Concurrent commits in one directory (HLS segments of
 * one variant, fetched 4 at a time) therefore share one fsync: a caller joins the fsync that
 * is queued but not yet started; if one is running it queues the next. No timers: the next
 * fsync starts as soon as the running one settles.
 */
import { syncDir } from "./disk-file.js";

interface DirState {
  /** Settles when the last queued fsync of this directory has settled. */
  tail: Promise<void>;
  /** The fsync that has not started yet: joining it covers every rename done so far. */
  queued: Promise<void> | undefined;
}

const noop = (): void => {};

export class DirSyncGroup {
  readonly #dirs = new Map<string, DirState>();
  readonly #syncDir: (dir: string) => Promise<void>;

  /** `syncDirFn` is the fsync itself (a seam for tests that observe when fsyncs start). */
  constructor(syncDirFn: (dir: string) => Promise<void> = syncDir) {
    this.#syncDir = syncDirFn;
  }

  sync(dir: string): Promise<void> {
    let st = this.#dirs.get(dir);
    if (st === undefined) {
      st = { tail: Promise.resolve(), queued: undefined };
      this.#dirs.set(dir, st);
    }
    if (st.queued !== undefined) return st.queued;
    const s = st;
    const run = s.tail.then(() => {
      // From here on a new caller's rename may be later than this fsync: it queues the next.
      s.queued = undefined;
      return this.#syncDir(dir);
    });
    s.queued = run;
    const tail: Promise<void> = run.then(noop, noop).then(() => {
      if (s.tail === tail) this.#dirs.delete(dir);
    });
    s.tail = tail;
    return run;
  }
}
