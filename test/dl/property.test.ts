/**
 * Property test (fast-check) over the real HTTP client and a loopback server: random
 * interleavings of register / poll results / wake / dispose / priority flips / epoch
 * cancellations / completions / close keep the Downloader's invariants.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelToken } from "../../src/core/cancel.js";
import { Downloader, DownloaderClosedError } from "../../src/dl/index.js";
import type { DownloaderEvent } from "../../src/events/domains/downloader.js";
import { type FaultServer, startFaultServer } from "../support/fault-server.js";
import { CapTracker, Recorder, ScriptPeer, testClient } from "./harness.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
  server.setFaults("/bytes/31/64/slow", { stallBeforeHeadersMs: 15 });
});
afterAll(async () => {
  await server.close();
});

type Action =
  | { t: "register"; high: boolean }
  | {
      t: "push";
      peer: number;
      n: number;
      kind: "fast" | "slow" | "stuck";
      epoch: boolean;
      high: boolean;
    }
  | { t: "exec"; peer: number }
  | { t: "wake"; peer: number }
  | { t: "done"; peer: number }
  | { t: "dispose"; peer: number }
  | { t: "flip"; peer: number }
  | { t: "epoch"; peer: number }
  | { t: "tick" }
  | { t: "wait" }
  | { t: "close" };

const peerIdx = fc.nat({ max: 5 });
const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
const action: fc.Arbitrary<Action> = fc.oneof(
  w(2, fc.record({ t: fc.constant("register" as const), high: fc.boolean() })),
  w(
    6,
    fc.record({
      t: fc.constant("push" as const),
      peer: peerIdx,
      n: fc.integer({ min: 1, max: 4 }),
      kind: fc.constantFrom("fast" as const, "fast" as const, "slow" as const, "stuck" as const),
      epoch: fc.boolean(),
      high: fc.boolean(),
    }),
  ),
  w(1, fc.record({ t: fc.constant("exec" as const), peer: peerIdx })),
  w(1, fc.record({ t: fc.constant("wake" as const), peer: peerIdx })),
  w(1, fc.record({ t: fc.constant("done" as const), peer: peerIdx })),
  w(1, fc.record({ t: fc.constant("dispose" as const), peer: peerIdx })),
  w(2, fc.record({ t: fc.constant("flip" as const), peer: peerIdx })),
  w(2, fc.record({ t: fc.constant("epoch" as const), peer: peerIdx })),
  w(4, fc.constant({ t: "tick" as const })),
  w(3, fc.constant({ t: "wait" as const })),
  w(1, fc.constant({ t: "close" as const })),
);

interface Cmd {
  key: string;
  peer: ScriptPeer;
  epoch: CancelToken | undefined;
}

describe("Downloader properties", () => {
  it("DL-5 DL-7 DL-14 DL-17: random interleavings keep the cap, complete every accepted command exactly once, never dispatch a cancelled command", async () => {
    const http = testClient();
    let run = 0;
    const totals = { accepted: 0, started: 0, completedOk: 0, pushed: 0, runs: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 1, 2, 3, 5),
        fc.array(action, { minLength: 10, maxLength: 40 }),
        async (cap, actions) => {
          run++;
          const dl = new Downloader({ http, maxConcurrent: cap });
          const t = new CapTracker(dl, cap);
          const rec = new Recorder();
          const peers = [new ScriptPeer("low").attach(dl), new ScriptPeer("high").attach(dl)];
          const epochs = new Map<ScriptPeer, CancelToken>();
          const byUrl = new Map<string, Cmd>();
          const byId = new Map<number, Cmd>();
          const dispatchedCancelled: string[] = [];
          const execs: Array<Promise<unknown>> = [];
          let seq = 0;
          t.events.length = 0;
          const off = dl.bus.subscribe((env) => {
            const e = env.event as DownloaderEvent;
            if (e.type === "RequestEnqueued") {
              const c = byUrl.get(e.url);
              if (c) byId.set(e.requestId, c);
            }
            if (e.type === "RequestStarted") {
              const c = byId.get(e.requestId);
              if (c && (c.epoch?.isCancelled || c.peer.handle?.token.isCancelled))
                dispatchedCancelled.push(c.key);
            }
          });
          const pick = (i: number) => peers[i % Math.max(peers.length, 1)];
          const epochOf = (p: ScriptPeer) => {
            const e = epochs.get(p);
            if (e && !e.isCancelled) return e;
            const fresh = CancelToken.root();
            epochs.set(p, fresh);
            return fresh;
          };
          let closed = false;
          for (const a of actions) {
            if (a.t === "register") {
              if (closed) {
                expect(() => new ScriptPeer().attach(dl)).toThrow(DownloaderClosedError);
                continue;
              }
              peers.push(new ScriptPeer(a.high ? "high" : "low").attach(dl));
              continue;
            }
            if (a.t === "tick") {
              await new Promise((r) => setImmediate(r));
              continue;
            }
            if (a.t === "wait") {
              await new Promise((r) => setTimeout(r, 5));
              continue;
            }
            if (a.t === "close") {
              closed = true;
              void dl.close();
              continue;
            }
            const p = pick(a.peer);
            if (!p) continue;
            if (a.t === "push") {
              const cmds = [];
              for (let i = 0; i < a.n; i++) {
                const key = `r${run}-c${seq++}`;
                const url =
                  a.kind === "fast"
                    ? server.bytesUrl(30, 256, key)
                    : a.kind === "slow"
                      ? server.url(`/bytes/31/64/slow?${key}`)
                      : server.url(`/stuck/${key}`);
                if (a.kind === "stuck")
                  server.setFaults(`/stuck/${key}`, {
                    stallBeforeHeadersMs: Number.POSITIVE_INFINITY,
                  });
                const epoch = a.epoch ? epochOf(p) : undefined;
                const c: Cmd = { key, peer: p, epoch };
                byUrl.set(url, c);
                cmds.push(
                  rec.cmd(key, url, {
                    priority: a.high ? "high" : "low",
                    ...(epoch ? { epoch } : {}),
                  }),
                );
              }
              p.push(...cmds);
            } else if (a.t === "exec") {
              execs.push(
                p
                  .handle!.execute({ url: server.bytesUrl(30, 16, `x${seq++}`) })
                  .catch((e: unknown) => e),
              );
            } else if (a.t === "wake") p.handle?.wake();
            else if (a.t === "done") p.finished = true;
            else if (a.t === "dispose") p.handle?.dispose();
            else if (a.t === "flip") p.prio = p.prio === "high" ? "low" : "high";
            else if (a.t === "epoch") epochs.get(p)?.cancel();
          }
          await dl.close();
          await Promise.all(execs);
          await new Promise((r) => setImmediate(r));
          off();
          t.off();
          expect(t.violations).toEqual([]);
          expect(dispatchedCancelled).toEqual([]);
          expect(dl.inFlight).toBe(0);
          for (const c of byId.values()) expect(rec.count(c.key)).toBe(1);
          totals.accepted += byId.size;
          totals.pushed += byUrl.size;
          totals.runs++;
          totals.started += t.started.size;
          totals.completedOk += [...rec.completions.values()].filter((l) => !l[0]?.error).length;
          for (const c of byUrl.values()) expect(rec.count(c.key)).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 80 },
    );
    // The generated interleavings really exercised dispatch, completion and cancellation.
    expect(totals.started).toBeGreaterThan(20);
    expect(totals.completedOk).toBeGreaterThan(10);
    expect(totals.accepted).toBeGreaterThan(totals.started);
    await http.close();
  });
});
