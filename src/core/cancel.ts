/**
 * Cancellation tree (CORE-1). A token cancels its whole subtree; a group token is cancelled
 * when any member is. Links are explicit (parent -> children sets), so a token that is
 * released or cancelled detaches from its parents and long-lived parents never accumulate
 * listeners from finished children.
 */
export class CancelToken {
  readonly #ctrl = new AbortController();
  readonly #children = new Set<CancelToken>();
  readonly #parents: CancelToken[] = [];
  readonly #callbacks = new Set<(reason: unknown) => void>();
  readonly #never: boolean;

  private constructor(never: boolean) {
    this.#never = never;
  }

  /** A fresh root token. */
  static root(): CancelToken {
    return new CancelToken(false);
  }

  /** A token that never fires; `cancel()` on it is a no-op. */
  static never(): CancelToken {
    return new CancelToken(true);
  }

  /** A group token: cancelled as soon as any member is (immediately if one already is). */
  static any(members: readonly CancelToken[]): CancelToken {
    const group = new CancelToken(false);
    for (const m of members) m.#adopt(group);
    return group;
  }

  /** A child token: cancelled when this token is; cancelling it leaves this token alone. */
  child(): CancelToken {
    const c = new CancelToken(false);
    this.#adopt(c);
    return c;
  }

  #adopt(c: CancelToken): void {
    if (this.#never) return;
    if (this.isCancelled) {
      c.cancel(this.reason);
      return;
    }
    this.#children.add(c);
    c.#parents.push(this);
  }

  get signal(): AbortSignal {
    return this.#ctrl.signal;
  }

  get isCancelled(): boolean {
    return this.#ctrl.signal.aborted;
  }

  /** The reason given to `cancel()` (inherited by the subtree). */
  get reason(): unknown {
    return this.isCancelled ? this.#ctrl.signal.reason : undefined;
  }

  /** Cancel this token and its subtree. Idempotent. */
  cancel(reason: unknown = "cancelled"): void {
    if (this.#never || this.isCancelled) return;
    this.#ctrl.abort(reason);
    this.#detach();
    const kids = [...this.#children];
    this.#children.clear();
    for (const k of kids) k.cancel(reason);
    const cbs = [...this.#callbacks];
    this.#callbacks.clear();
    for (const cb of cbs) cb(reason);
  }

  /**
   * Detach from parents without cancelling (call when the work this token guarded is done),
   * so the parents do not keep it alive.
   */
  release(): void {
    this.#detach();
    this.#callbacks.clear();
  }

  #detach(): void {
    for (const p of this.#parents) p.#children.delete(this);
    this.#parents.length = 0;
  }

  /** Run `fn` once on cancellation (at once if already cancelled). Returns an unsubscribe. */
  onCancel(fn: (reason: unknown) => void): () => void {
    if (this.isCancelled) {
      fn(this.reason);
      return () => {};
    }
    if (this.#never) return () => {};
    this.#callbacks.add(fn);
    return () => this.#callbacks.delete(fn);
  }

  /** Resolves when cancelled. Pair with `Promise.race`; prefer `onCancel` in hot paths. */
  whenCancelled(): Promise<unknown> {
    return new Promise((resolve) => {
      this.onCancel(resolve);
    });
  }

  /** Number of live children (for leak tests, CORE-4). */
  get childCount(): number {
    return this.#children.size;
  }
}
