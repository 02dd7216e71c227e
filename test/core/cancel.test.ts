import { describe, expect, it } from "vitest";
import { CancelToken } from "../../src/core/cancel.js";

describe("CancelToken", () => {
  it("CORE-1: child() is cancelled when its parent is, with the parent's reason", () => {
    const root = CancelToken.root();
    const child = root.child();
    const grandchild = child.child();
    root.cancel("shutdown");
    expect(child.isCancelled).toBe(true);
    expect(grandchild.isCancelled).toBe(true);
    expect(grandchild.reason).toBe("shutdown");
    expect(grandchild.signal.aborted).toBe(true);
  });

  it("CORE-1: cancelling a token cancels its subtree only", () => {
    const root = CancelToken.root();
    const a = root.child();
    const b = root.child();
    const a1 = a.child();
    a.cancel();
    expect(a1.isCancelled).toBe(true);
    expect(root.isCancelled).toBe(false);
    expect(b.isCancelled).toBe(false);
  });

  it("CORE-1: a group fires when any member fires, and at once if one already has", () => {
    const x = CancelToken.root();
    const y = CancelToken.root();
    const group = CancelToken.any([x, y]);
    expect(group.isCancelled).toBe(false);
    y.cancel("epoch");
    expect(group.isCancelled).toBe(true);
    expect(group.reason).toBe("epoch");
    expect(x.isCancelled).toBe(false);
    const late = CancelToken.any([x, y]);
    expect(late.isCancelled).toBe(true);
  });

  it("CORE-1: never() never fires and ignores cancel()", () => {
    const n = CancelToken.never();
    n.cancel();
    expect(n.isCancelled).toBe(false);
    expect(n.child().isCancelled).toBe(false);
    const g = CancelToken.any([n]);
    expect(g.isCancelled).toBe(false);
  });

  it("CORE-1: whenCancelled() resolves and onCancel runs once; unsubscribe works", async () => {
    const t = CancelToken.root();
    let calls = 0;
    const off = t.onCancel(() => {
      calls++;
    });
    let other = 0;
    const offOther = t.onCancel(() => {
      other++;
    });
    offOther();
    const waited = t.whenCancelled();
    t.cancel("bye");
    t.cancel("again");
    await expect(waited).resolves.toBe("bye");
    expect(calls).toBe(1);
    expect(other).toBe(0);
    off();
    let late = 0;
    t.onCancel(() => {
      late++;
    });
    expect(late).toBe(1);
  });

  it("CORE-1, CORE-4: released and cancelled children detach, so long-lived parents do not grow", () => {
    const root = CancelToken.root();
    for (let i = 0; i < 1000; i++) root.child().release();
    for (let i = 0; i < 1000; i++) root.child().cancel();
    const g = CancelToken.any([root, CancelToken.root()]);
    g.release();
    expect(root.childCount).toBe(0);
  });
});
