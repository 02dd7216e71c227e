/** Lent buffers (core/lending.ts): the give-back contract the transport and the store share. */
import { describe, expect, it } from "vitest";
import { giveBack, lend } from "../../src/core/lending.js";

describe("lent buffers", () => {
  it("BENCH-5: a lent chunk's memory comes back once, through any view of it", () => {
    const memory = new Uint8Array(64);
    const view = memory.subarray(8, 16);
    let returned = 0;
    lend(view, () => returned++);
    giveBack(memory.subarray(0, 4)); // another view of the same memory
    expect(returned).toBe(1);
    giveBack(view);
    expect(returned).toBe(1);
  });

  it("BENCH-5: giving back memory that was never lent does nothing", () => {
    let returned = 0;
    lend(new Uint8Array(8), () => returned++);
    giveBack(new Uint8Array(8));
    expect(returned).toBe(0);
  });
});
