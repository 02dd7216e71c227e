import { describe, expect, it } from "vitest";
import { AbrError } from "../../src/abr/index.js";
import type { AbrPolicy, PolicyDecision } from "../../src/abr/policy.js";
import { AbrState } from "../../src/abr/state.js";
import { setup } from "./harness.js";

/** A policy whose next answer the test sets. */
function scripted(minSwitchIntervalMs = 0) {
  const box: { next: PolicyDecision } = { next: { kind: "stay", reason: "AlreadyOptimal" } };
  const policy: AbrPolicy = { name: "scripted", minSwitchIntervalMs, decide: () => box.next };
  return { box, policy };
}

describe("AbrState protocol", () => {
  it("ABR-6: A->B->A leaves a stale claim that can no longer commit", () => {
    const s = new AbrState(0, 0);
    s.request(1, "UpSwitch");
    const first = s.claim();
    expect(first.kind).toBe("Ready");
    if (first.kind !== "Ready") return;
    s.request(0, "DownSwitch"); // back to the current one: the slot clears
    expect(s.claim().kind).toBe("Absent");
    s.request(1, "UpSwitch");
    const second = s.claim();
    if (second.kind !== "Ready") throw new Error("expected Ready");
    expect(second.claim.ticket).not.toBe(first.claim.ticket);
    expect(s.commit(first.claim, 5)).toBe(false);
    expect(s.current).toBe(0);
    expect(s.commit(second.claim, 5)).toBe(true);
    expect(s.current).toBe(1);
    expect(s.lastSwitchAt).toBe(5);
  });

  it("ABR-6: re-requesting the queued target keeps its ticket; latest different target wins", () => {
    const s = new AbrState(0, 0);
    s.request(2, "UpSwitch");
    const t = s.pending!.ticket;
    s.request(2, "UpSwitch");
    expect(s.pending!.ticket).toBe(t);
    s.request(3, "UpSwitch");
    expect(s.pending!.target).toBe(3);
    expect(s.pending!.ticket).not.toBe(t);
  });

  it("ABR-6/7: lock then claim yields Locked(claim) and commit is refused until unlocked", () => {
    const s = new AbrState(0, 0);
    s.request(1, "UpSwitch");
    s.lockDepth = 1;
    const c = s.claim();
    expect(c.kind).toBe("Locked");
    if (c.kind !== "Locked") return;
    expect(s.commit(c.claim, 1)).toBe(false);
    s.lockDepth = 0;
    expect(s.claim().kind).toBe("Ready");
    expect(s.commit(c.claim, 1)).toBe(true);
  });

  it("ABR-6: abort drops only the request with that ticket", () => {
    const s = new AbrState(0, 0);
    s.request(1, "UpSwitch");
    const old = s.pending!.ticket;
    s.request(2, "UpSwitch");
    expect(s.abort(old)).toBe(false);
    expect(s.pending?.target).toBe(2);
    expect(s.abort(s.pending!.ticket)).toBe(true);
    expect(s.pending).toBeNull();
  });

  it("ABR-6: invalidatePending drops throughput intents and keeps manual/initial ones", () => {
    const s = new AbrState(0, 0);
    s.request(1, "UpSwitch");
    s.invalidatePending();
    expect(s.pending).toBeNull();
    s.request(2, "Manual");
    s.invalidatePending();
    expect(s.pending?.target).toBe(2);
    s.request(3, "Initial");
    s.invalidatePending();
    expect(s.pending?.target).toBe(3);
  });

  it("ABR-6: commit clears the escape flag before storing the new index", () => {
    const s = new AbrState(2, 0);
    s.escaping = true;
    s.request(1, "EscapeStalled");
    const c = s.claim();
    if (c.kind !== "Ready") throw new Error("expected Ready");
    expect(s.commit(c.claim, 1)).toBe(true);
    expect(s.escaping).toBe(false);
    expect(s.current).toBe(1);
  });
});

describe("AbrController state protocol", () => {
  it("ABR-6: stay(AlreadyOptimal) retracts a pending throughput switch; other stays do not", () => {
    const { box, policy } = scripted();
    const { abr, id, ctl, peer } = setup({ policy });
    box.next = { kind: "switch", to: 3, reason: "UpSwitch" };
    abr.tick(id);
    expect(ctl.pending()?.target).toBe(3);
    expect(peer.wakes).toBe(1);
    for (const reason of ["BufferTooLowForUpSwitch", "NoEstimate", "MinInterval"] as const) {
      box.next = { kind: "stay", reason };
      abr.tick(id);
      expect(ctl.pending()?.target).toBe(3);
    }
    box.next = { kind: "stay", reason: "AlreadyOptimal" };
    abr.tick(id);
    expect(ctl.pending()).toBeNull();
    expect(ctl.claim().kind).toBe("Absent");
  });

  it("ABR-6: AlreadyOptimal does not retract a manual pending target", () => {
    const { box, policy } = scripted();
    const { abr, id, ctl } = setup({ policy });
    ctl.lock();
    ctl.setMode({ kind: "manual", index: 3 });
    ctl.unlock(); // re-evaluates: Manual -> pending 3
    expect(ctl.pending()).toMatchObject({ target: 3, reason: "Manual" });
    ctl.setMode({ kind: "auto" });
    expect(ctl.pending()).toBeNull();
    box.next = { kind: "stay", reason: "AlreadyOptimal" };
    abr.tick(id);
    expect(ctl.current()).toBe(1);
  });

  it("ABR-7: lock is re-entrant, gates publication only, and unlocking to zero re-evaluates", () => {
    const { box, policy } = scripted();
    const { abr, id, ctl, events } = setup({ policy });
    box.next = { kind: "switch", to: 2, reason: "UpSwitch" };
    abr.tick(id);
    ctl.lock();
    ctl.lock();
    expect(abr.tick(id)).toEqual({ kind: "stay", reason: "Locked" });
    expect(ctl.claim().kind).toBe("Locked");
    box.next = { kind: "switch", to: 3, reason: "UpSwitch" };
    ctl.unlock();
    expect(ctl.pending()?.target).toBe(2); // still locked at depth 1: no evaluation
    ctl.unlock();
    expect(ctl.pending()?.target).toBe(3); // depth 0 re-evaluated
    const c = ctl.claim();
    if (c.kind !== "Ready") throw new Error("expected Ready");
    expect(ctl.commit(c.claim)).toBe(true);
    expect(ctl.current()).toBe(3);
    expect(
      events.filter((e) => e.type === "Locked").map((e) => e.type === "Locked" && e.depth),
    ).toEqual([1, 2]);
    expect(events.some((e) => e.type === "VariantApplied" && e.to === 3 && e.from === 1)).toBe(
      true,
    );
    expect(() => ctl.unlock()).toThrow(AbrError);
  });

  it("ABR-7: manual mode is validated against the live variant list", () => {
    const { ctl, peer } = setup();
    expect(() => ctl.setMode({ kind: "manual", index: 9 })).toThrow(AbrError);
    peer.list = peer.list.slice(0, 2);
    expect(() => ctl.setMode({ kind: "manual", index: 3 })).toThrow(/not one of \[0, 1\]/);
    expect(ctl.mode()).toEqual({ kind: "auto" });
  });

  it("ABR-7: manual restating the queued target keeps its ticket; another target clears it", () => {
    const { box, policy } = scripted();
    const { abr, id, ctl } = setup({ policy });
    box.next = { kind: "switch", to: 2, reason: "UpSwitch" };
    abr.tick(id);
    const ticket = ctl.pending()!.ticket;
    ctl.setMode({ kind: "manual", index: 2 });
    expect(ctl.pending()?.ticket).toBe(ticket);
    expect(ctl.pending()?.reason).toBe("Manual");
    ctl.setMode({ kind: "manual", index: 0 });
    expect(ctl.pending()?.target).toBe(0);
    expect(ctl.pending()?.ticket).not.toBe(ticket);
  });

  it("ABR-7: selectedVariantForSeek returns the pending target, else the current one", () => {
    const { box, policy } = scripted();
    const { abr, id, ctl } = setup({ policy });
    expect(ctl.selectedVariantForSeek()).toBe(1);
    box.next = { kind: "switch", to: 0, reason: "UrgentDownSwitch" };
    abr.tick(id);
    expect(ctl.selectedVariantForSeek()).toBe(0);
    ctl.invalidatePending();
    expect(ctl.selectedVariantForSeek()).toBe(1);
  });

  it("ABR-4/6: markEscaping removes the current variant and switches at once (EscapeStalled)", () => {
    const { abr, ctl, id } = setup();
    abr.recordBandwidth(id, { bytes: 2_000_000, durationMs: 1000, source: "network" }); // 16 Mbit/s
    ctl.markEscaping();
    expect(ctl.pending()).toMatchObject({ reason: "EscapeStalled" });
    expect(ctl.pending()!.target).not.toBe(1);
    const c = ctl.claim();
    if (c.kind !== "Ready") throw new Error("expected Ready");
    expect(ctl.commit(c.claim)).toBe(true);
    expect(ctl.escaping()).toBe(false);
    expect(abr.tick(id).kind).toBe("stay"); // 30 s interval holds a non-rescue switch after it
  });

  it("ABR-7: a fixed cap switches a current variant above it down ([+] CapExceeded)", () => {
    const { ctl, events } = setup();
    ctl.setMaxBandwidthCap(600_000);
    expect(ctl.pending()).toMatchObject({ target: 0, reason: "CapExceeded" });
    expect(events.some((e) => e.type === "MaxBandwidthCapChanged" && e.capBps === 600_000)).toBe(
      true,
    );
    expect(() => ctl.setMaxBandwidthCap(-1)).toThrow(AbrError);
  });
});
