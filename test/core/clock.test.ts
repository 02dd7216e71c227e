import { describe, expect, it } from "vitest";
import { sleep, systemClock, VirtualClock } from "../../src/core/clock.js";
import { NetError } from "../../src/core/errors.js";

describe("Clock", () => {
  it("CORE-2: VirtualClock fires timers in due order and only when time is advanced", async () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    clock.setTimer(50, () => fired.push("b"));
    clock.setTimer(10, () => fired.push("a"));
    clock.setTimer(50, () => fired.push("c"));
    await clock.advance(9);
    expect(fired).toEqual([]);
    expect(clock.now()).toBe(1009);
    await clock.advance(41);
    expect(fired).toEqual(["a", "b", "c"]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("CORE-2: code awaiting a virtual sleep resumes before the next timer fires", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const task = (async () => {
      await sleep(clock, 100);
      log.push(`woke@${clock.now()}`);
      await sleep(clock, 100);
      log.push(`woke@${clock.now()}`);
    })();
    await clock.advance(250);
    await task;
    expect(log).toEqual(["woke@100", "woke@200"]);
  });

  it("CORE-2: sleep ends at once on abort with a Cancelled NetError and leaves no timer", async () => {
    const clock = new VirtualClock();
    const ac = new AbortController();
    const p = sleep(clock, 10_000, ac.signal);
    ac.abort("stop");
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetError);
    expect((err as NetError).kind).toBe("Cancelled");
    expect(clock.pendingTimers).toBe(0);
    await expect(sleep(clock, 5, ac.signal)).rejects.toMatchObject({ kind: "Cancelled" });
  });

  it("CORE-2: runAll drains every timer and refuses an endless self-rescheduling one", async () => {
    const clock = new VirtualClock();
    let n = 0;
    clock.setTimer(5, () => n++);
    clock.setTimer(7, () => n++);
    await clock.runAll();
    expect(n).toBe(2);
    const again = () => clock.setTimer(1, again);
    again();
    await expect(clock.runAll(50)).rejects.toThrow(/more than 50 timers/);
  });

  it("CORE-2: the system clock is monotonic and its timers can be cancelled", async () => {
    const a = systemClock.now();
    const b = systemClock.now();
    expect(b).toBeGreaterThanOrEqual(a);
    let fired = false;
    const t = systemClock.setTimer(0, () => {
      fired = true;
    });
    t.cancel();
    await new Promise((r) => setTimeout(r, 5));
    expect(fired).toBe(false);
  });
});
