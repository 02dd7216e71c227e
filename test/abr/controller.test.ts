import { describe, expect, it } from "vitest";
import { AbrError, createAbrController, DEFAULT_POLICY_NAME } from "../../src/abr/index.js";
import { VirtualClock } from "../../src/core/clock.js";
import { EventBus } from "../../src/events/bus.js";
import type { AbrEvent } from "../../src/events/domains/abr.js";
import { ScriptedPeer, setup } from "./harness.js";

const net = (bytes: number, durationMs: number) => ({
  bytes,
  durationMs,
  source: "network" as const,
});
const ofType = <T extends AbrEvent["type"]>(events: AbrEvent[], type: T) =>
  events.filter((e): e is Extract<AbrEvent, { type: T }> => e.type === type);

describe("AbrController", () => {
  it("ABR-3: peers get ids 1, 2, ...; variants registered with the initial pick", () => {
    const clock = new VirtualClock();
    const bus = EventBus.root({ clock });
    const seen: AbrEvent[] = [];
    bus.subscribe((e) => {
      if (e.event.domain === "abr") seen.push(e.event);
    });
    const abr = createAbrController({ clock });
    expect(abr.policy.name).toBe(DEFAULT_POLICY_NAME);
    const p = new ScriptedPeer();
    expect(abr.register(p, bus)).toBe(1);
    expect(abr.register({}, bus)).toBe(2); // a progressive peer without variants
    expect(ofType(seen, "VariantsRegistered")).toEqual([
      expect.objectContaining({ peerId: 1, initial: 1 }),
    ]);
    // without initialVariant(): the highest variant within fallback / 1.5 (2 Mbit/s / 1.5)
    const q = new ScriptedPeer();
    const abr2 = createAbrController({ clock, policy: "classic" });
    const id = abr2.register({ variants: () => q.variants() }, bus);
    expect(abr2.peer(id).current()).toBe(1);
    expect(abr.tick(2)).toEqual({ kind: "stay", reason: "NoVariants" });
    expect(() => abr.peer(9)).toThrow(AbrError);
    abr.unregister(1);
    abr.recordBandwidth(1, net(100_000, 100)); // a late credit after unregister is ignored
    expect(() => abr.peer(1)).toThrow(AbrError);
  });

  it("ABR-3: recordBandwidth -> estimator -> tick reads variants and progress and decides", async () => {
    const { abr, id, ctl, peer, events, clock } = setup({ minSwitchIntervalMs: 0 });
    abr.recordBandwidth(id, net(30_000_000, 20_000)); // 12 Mbit/s
    expect(ctl.pending()).toMatchObject({ target: 3, reason: "UpSwitch" });
    expect(peer.wakes).toBe(1);
    peer.list = peer.list.slice(0, 3); // the tick re-reads the live list
    abr.tick(id);
    expect(ctl.pending()).toMatchObject({ target: 2 });
    peer.buffer = 3;
    await clock.advance(500);
    abr.tick(id);
    expect(ofType(events, "BufferAhead").map((e) => e.seconds)).toEqual([20, 3]);
  });

  it("ABR-8: ThroughputSample at most once per 200 ms per peer", async () => {
    const { abr, id, clock, events } = setup();
    abr.recordBandwidth(id, net(20_000, 100));
    abr.recordBandwidth(id, net(20_000, 100));
    await clock.advance(199);
    abr.recordBandwidth(id, net(20_000, 100));
    await clock.advance(1);
    abr.recordBandwidth(id, net(20_000, 100));
    expect(ofType(events, "ThroughputSample")).toHaveLength(2);
    expect(ofType(events, "ThroughputSample")[0]).toMatchObject({
      bps: 1_600_000,
      source: "network",
    });
  });

  it("ABR-8: BandwidthEstimate on the first, after >= 1 s, or on a >= 10 % change", async () => {
    const { abr, id, clock, events } = setup();
    abr.recordBandwidth(id, net(1_000_000, 8000)); // 1 Mbit/s
    abr.recordBandwidth(id, net(1_000_000, 8000)); // same: held
    await clock.advance(999);
    abr.recordBandwidth(id, net(1_000_000, 8000));
    expect(ofType(events, "BandwidthEstimate")).toHaveLength(1);
    abr.recordBandwidth(id, net(10_000_000, 8000)); // big change: published
    expect(ofType(events, "BandwidthEstimate")).toHaveLength(2);
    await clock.advance(1000);
    abr.recordBandwidth(id, net(10_000_000, 8000));
    expect(ofType(events, "BandwidthEstimate")).toHaveLength(3);
  });

  it("ABR-8: BufferAhead on the first, known<->unknown, or >= 500 ms and >= 500 ms change", async () => {
    const { abr, id, clock, events, peer } = setup();
    const seen = () => ofType(events, "BufferAhead").map((e) => e.seconds);
    expect(seen()).toEqual([]);
    abr.tick(id);
    peer.buffer = 25;
    abr.tick(id); // too soon
    await clock.advance(500);
    peer.buffer = 20.4;
    abr.tick(id); // change too small
    peer.buffer = null;
    abr.tick(id); // known -> unknown
    peer.buffer = 1;
    abr.tick(id); // unknown -> known
    await clock.advance(500);
    peer.buffer = 2;
    abr.tick(id);
    expect(seen()).toEqual([20, null, 1, 2]);
  });

  it("ABR-8: DecisionSkipped, ModeChanged, Locked/Unlocked and VariantApplied are published", () => {
    const { abr, id, ctl, events } = setup();
    abr.tick(id);
    expect(ofType(events, "DecisionSkipped").at(-1)).toMatchObject({ reason: "AlreadyOptimal" });
    ctl.lock();
    ctl.setMode({ kind: "manual", index: 0 });
    expect(ofType(events, "DecisionSkipped").at(-1)).toMatchObject({ reason: "Locked" });
    ctl.unlock();
    const c = ctl.claim();
    if (c.kind !== "Ready") throw new Error("expected Ready");
    ctl.commit(c.claim);
    expect(ofType(events, "ModeChanged")).toEqual([
      expect.objectContaining({ mode: { kind: "manual", index: 0 } }),
    ]);
    expect(ofType(events, "Unlocked")).toEqual([expect.objectContaining({ depth: 0 })]);
    expect(ofType(events, "VariantApplied")).toEqual([
      expect.objectContaining({ from: 1, to: 0, reason: "Manual" }),
    ]);
    abr.tick(id);
    expect(ofType(events, "DecisionSkipped").at(-1)).toMatchObject({ reason: "ManualOverride" });
  });

  it("ABR-3 ABR-7: a fixed-variant peer gets its variants registered but the policy never runs for it", () => {
    let decisions = 0;
    const clock = new VirtualClock();
    const bus = EventBus.root({ clock });
    const seen: AbrEvent[] = [];
    bus.subscribe((env) => {
      if (env.event.domain === "abr") seen.push(env.event);
    });
    const abr = createAbrController({
      clock,
      policy: {
        name: "counting",
        minSwitchIntervalMs: 0,
        decide: () => {
          decisions++;
          return { kind: "switch", to: 3, reason: "UpSwitch" };
        },
      },
    });
    const fixed = Object.assign(new ScriptedPeer(), { fixedVariant: true });
    const id = abr.register(fixed, bus);
    for (let i = 0; i < 5; i++) abr.recordBandwidth(id, net(1_000_000, 1000));
    expect(decisions).toBe(0);
    expect(abr.tick(id)).toEqual({ kind: "stay", reason: "ManualOverride" });
    expect(ofType(seen, "VariantsRegistered")).toHaveLength(1);
    expect(ofType(seen, "VariantApplied")).toHaveLength(0);
    // The same peer without the flag is planned for.
    abr.register(new ScriptedPeer(), bus);
    abr.recordBandwidth(2, net(1_000_000, 1000));
    expect(decisions).toBeGreaterThan(0);
  });
});
