/**
 * BENCH-6 golden: the simulator reproduces the calibration table of shared/traces/README.md.
 * BB is exact there (it matches published logs trace by trace); RB and robustMPC come from an
 * independent reimplementation and are reproduced here to two decimals as well.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { BB, RB, robustMpc } from "../../bench/abr/baselines.js";
import { loadTraces, videoContent } from "../../bench/abr/content.js";
import { runAlgorithm } from "../../bench/abr/run.js";

const traces = resolve(import.meta.dirname, "../../../shared/traces");

describe("BENCH-6 calibration", () => {
  it("BENCH-6: the shared traces are beside the repository", () => {
    expect(existsSync(join(traces, "train")), `missing ${traces}`).toBe(true);
  });

  it.each([
    ["train", 15.68, 20.52, 26.13],
    ["test-hsdpa", 30.04, 35.02, 42.27],
  ] as const)("BENCH-6: BB, RB and robustMPC on %s match the README table", (set, bb, rb, mpc) => {
    const content = videoContent(join(traces, "video-sizes"));
    const t = loadTraces(join(traces, set));
    expect(runAlgorithm(BB, t, content).qoe.toFixed(2)).toBe(bb.toFixed(2));
    expect(runAlgorithm(RB, t, content).qoe.toFixed(2)).toBe(rb.toFixed(2));
    expect(runAlgorithm(robustMpc(5), t, content).qoe.toFixed(2)).toBe(mpc.toFixed(2));
  });
});
