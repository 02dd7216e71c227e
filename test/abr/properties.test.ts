import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { POLICIES, type PolicyName } from "../../src/abr/index.js";
import { LADDER, setup } from "./harness.js";

const names = Object.keys(POLICIES) as PolicyName[];

type Op =
  | { k: "sample"; kbps: number; ms: number }
  | { k: "buffer"; s: number | null }
  | { k: "advance"; ms: number }
  | { k: "lock" }
  | { k: "unlock" }
  | { k: "commit" }
  | { k: "tick" }
  | { k: "escape" }
  | { k: "seek" };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    k: fc.constant("sample" as const),
    kbps: fc.integer({ min: 100, max: 50_000 }),
    ms: fc.integer({ min: 50, max: 20_000 }),
  }),
  fc.record({
    k: fc.constant("buffer" as const),
    s: fc.option(fc.double({ min: 0, max: 60, noNaN: true })),
  }),
  fc.record({ k: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
  fc.constant({ k: "lock" as const }),
  fc.constant({ k: "unlock" as const }),
  fc.constant({ k: "commit" as const }),
  fc.constant({ k: "tick" as const }),
  fc.constant({ k: "escape" as const }),
  fc.constant({ k: "seek" as const }),
);

async function apply(env: ReturnType<typeof setup>, o: Op): Promise<void> {
  const { abr, id, ctl, peer, clock } = env;
  switch (o.k) {
    case "sample":
      abr.recordBandwidth(id, {
        bytes: Math.round((o.kbps * o.ms) / 8),
        durationMs: o.ms,
        source: "network",
      });
      return;
    case "buffer":
      peer.buffer = o.s;
      return;
    case "advance":
      await clock.advance(o.ms);
      return;
    case "lock":
      ctl.lock();
      return;
    case "unlock":
      if (ctl.lockDepth() > 0) ctl.unlock();
      return;
    case "commit": {
      const c = ctl.claim();
      if (c.kind !== "Absent") ctl.commit(c.claim);
      return;
    }
    case "tick":
      abr.tick(id);
      return;
    case "escape":
      ctl.markEscaping();
      return;
    case "seek":
      ctl.invalidatePending();
      return;
  }
}

describe.each(names)("properties of policy %s", (name) => {
  it("ABR-7: never switches while locked", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const env = setup({ policy: name });
        for (const o of ops) {
          const locked = env.ctl.lockDepth() > 0;
          const before = env.ctl.current();
          await apply(env, o);
          if (locked && env.ctl.lockDepth() > 0) expect(env.ctl.current()).toBe(before);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("ABR-4/7: manual mode pins the variant after one tick and keeps it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 20 }),
        fc.integer({ min: 0, max: LADDER.length - 1 }),
        fc.array(op, { maxLength: 20 }),
        async (pre, index, post) => {
          const env = setup({ policy: name });
          for (const o of pre) await apply(env, o);
          while (env.ctl.lockDepth() > 0) env.ctl.unlock();
          env.ctl.setMode({ kind: "manual", index }); // ticks once
          await apply(env, { k: "commit" });
          expect(env.ctl.current()).toBe(index);
          for (const o of post) {
            await apply(env, o);
            if (env.ctl.lockDepth() === 0) await apply(env, { k: "commit" });
            if (o.k !== "escape") expect(env.ctl.current()).toBe(index);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("ABR-4/9: monotonically rising bandwidth never switches down", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 30 }),
        fc.option(fc.double({ min: 0, max: 60, noNaN: true })),
        fc.integer({ min: 200, max: 3000 }),
        async (steps, buffer, startKbps) => {
          const env = setup({ policy: name });
          env.peer.buffer = buffer;
          let kbps = startKbps;
          // the first sample may correct the initial guess downwards; from then on, no down
          await apply(env, { k: "sample", kbps, ms: 4000 });
          await apply(env, { k: "commit" });
          let prev = LADDER[env.ctl.current()]!.bandwidth;
          for (const step of steps) {
            kbps += step;
            await env.clock.advance(4000);
            await apply(env, { k: "sample", kbps, ms: 4000 });
            await apply(env, { k: "commit" });
            const now = LADDER[env.ctl.current()]!.bandwidth;
            expect(now).toBeGreaterThanOrEqual(prev);
            prev = now;
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});
