import { describe, expect, it } from "vitest";
import {
  AbrError,
  DEFAULT_POLICY_NAME,
  POLICIES,
  type PolicyName,
  resolvePolicy,
} from "../../src/abr/index.js";
import { setup } from "./harness.js";

const names = Object.keys(POLICIES) as PolicyName[];
const big = { bytes: 40_000_000, durationMs: 20_000, source: "network" as const }; // 16 Mbit/s

describe("policies (ABR-9)", () => {
  it("ABR-9: classic plus at least two better policies ship; the default is the BENCH-6 winner", () => {
    expect(names).toEqual(expect.arrayContaining(["classic", "bola", "mpc"]));
    expect(DEFAULT_POLICY_NAME).toBe("mpc");
    expect(resolvePolicy(undefined)).toBe(POLICIES.mpc);
    expect(() => resolvePolicy("nope" as PolicyName)).toThrow(AbrError);
  });

  it.each(names)("ABR-5/9: %s goes through the minimum switch interval", async (name) => {
    const { abr, id, ctl, clock } = setup({ policy: name, minSwitchIntervalMs: 30_000 });
    abr.recordBandwidth(id, big);
    expect(ctl.pending()).toBeNull();
    await clock.advance(30_000);
    abr.tick(id);
    expect(ctl.pending()?.target).toBeGreaterThan(1);
    expect(ctl.pending()?.reason).toBe("UpSwitch");
  });

  it.each(names)("ABR-4/9: %s escapes a stalled variant and obeys the cap at once", (name) => {
    const { abr, id, ctl } = setup({ policy: name, minSwitchIntervalMs: 30_000 });
    abr.recordBandwidth(id, big);
    ctl.markEscaping();
    expect(ctl.pending()).toMatchObject({ reason: "EscapeStalled" });
    expect(ctl.pending()!.target).not.toBe(1);
    ctl.invalidatePending();
    ctl.setMaxBandwidthCap(600_000);
    expect(ctl.pending()).toMatchObject({ target: 0 });
  });

  it.each(names)(
    "ABR-5/9: after a stall escape %s does not climb back within 30 s",
    async (name) => {
      const { abr, id, ctl, clock } = setup({ policy: name, minSwitchIntervalMs: 0 });
      abr.recordBandwidth(id, big);
      await clock.advance(1000);
      ctl.markEscaping();
      const c = ctl.claim();
      if (c.kind !== "Ready") throw new Error("expected Ready");
      expect(ctl.commit(c.claim)).toBe(true);
      const escapedTo = ctl.current();
      abr.recordBandwidth(id, big);
      expect(ctl.pending()).toBeNull();
      expect(ctl.current()).toBe(escapedTo);
      await clock.advance(30_000);
      abr.tick(id);
      if (escapedTo !== 3) expect(ctl.pending()?.reason).toBe("UpSwitch");
    },
  );

  it.each(names)("ABR-4/9: %s stays without an estimate", (name) => {
    const { abr, id } = setup({ policy: name, initialThroughputBps: null });
    expect(abr.tick(id)).toEqual({ kind: "stay", reason: "NoEstimate" });
  });
});
