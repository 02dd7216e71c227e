/**
 * Smoke tests of every benchmark script under bench/ (BENCH-1..6): each runs as a real child
 * process in its smallest mode, and its output must have the documented shape — parsable
 * JSON / tables, every number finite, every competitor that is installed present (and every
 * absent one skipped, not crashed on). No timing is asserted: benches are not tests.
 *
 * The file benches (bulk, memory) write their JSON to a temp dir (`--out`), so the committed
 * numbers in bench/results/ are never touched.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasCommand } from "../e2e/support/tools.js";

const REPO = resolve(import.meta.dirname, "../..");
const TRACES = resolve(REPO, "../shared/traces");
const TIMEOUT = 90_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node --import tsx bench/<script> ...args` from the repository root. */
function bench(script: string, args: readonly string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["--import", "tsx", join(REPO, "bench", script), ...args],
      { cwd: REPO, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** The first stdout line that parses as a JSON object (the benches print one). */
function jsonLine(out: string): Record<string, unknown> {
  for (const line of out.split("\n")) {
    if (!line.startsWith("{")) continue;
    return JSON.parse(line) as Record<string, unknown>;
  }
  throw new Error(`no JSON line in:\n${out}`);
}

/** Markdown table rows (`| a | b |`) after the header separator, as cells. */
/** Table rows after the first header: up to the header of a next table, if one follows. */
function tableRows(out: string): string[][] {
  const isSep = (l: string | undefined) => l !== undefined && /^\|[-:| ]+\|$/.test(l);
  const lines = out.split("\n").filter((l) => l.startsWith("|"));
  const sep = lines.findIndex((l) => isSep(l));
  const next = lines.findIndex((_, i) => i > sep && isSep(lines[i + 1]));
  return lines.slice(sep + 1, next < 0 ? undefined : next).map((l) =>
    l
      .slice(1, -1)
      .split("|")
      .map((c) => c.trim()),
  );
}

const finite = (x: unknown): boolean => typeof x === "number" && Number.isFinite(x);

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "plectrum-bench-smoke-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe.concurrent("bench/ smoke runs (smallest modes)", () => {
  it("BENCH-1: scheduler overhead prints a JSON summary with four finite rows and ratios", {
    timeout: TIMEOUT,
  }, async () => {
    const r = await bench("scheduler/run.ts", ["100", "1"]);
    expect(r.code, r.stderr).toBe(0);
    const j = jsonLine(r.stdout);
    expect(j).toMatchObject({ bench: "BENCH-1", requests: 100, concurrency: 5, rounds: 1 });
    const rows = j.rows as Array<Record<string, unknown>>;
    expect(rows.map((x) => x.name).sort()).toEqual(
      [
        "plectrum Downloader",
        "plectrum HttpClient (5 workers, no scheduler)",
        "undici (5 workers)",
        "undici + FIFO semaphore",
      ].sort(),
    );
    for (const x of rows) {
      expect(finite(x.ms) && finite(x.reqPerS) && (x.reqPerS as number) > 0).toBe(true);
      expect(finite(x.vsRawUndici) && (x.vsRawUndici as number) > 0).toBe(true);
      expect(finite(x.vsHttpClient) && (x.vsHttpClient as number) > 0).toBe(true);
    }
    expect(tableRows(r.stdout)).toHaveLength(4);
  });

  it("BENCH-2: priority latency reports p50 <= p99 for every queue, one wait per urgent request", {
    timeout: TIMEOUT,
  }, async () => {
    const r = await bench("priority/run.ts", ["20", "3"]);
    expect(r.code, r.stderr).toBe(0);
    const j = jsonLine(r.stdout);
    expect(j).toMatchObject({ bench: "BENCH-2", prefetch: 20, urgent: 3, concurrency: 5 });
    expect(finite(j.measuredServiceMs)).toBe(true);
    const rows = j.rows as Array<Record<string, number | string>>;
    expect(rows).toHaveLength(3);
    for (const x of rows) {
      expect(x.n).toBe(3);
      expect([x.p50, x.p99, x.max].every(finite)).toBe(true);
      expect(x.p50 as number).toBeLessThanOrEqual(x.p99 as number);
      expect(x.p99 as number).toBeLessThanOrEqual(x.max as number);
    }
  });

  for (const [id, name] of [
    ["BENCH-3", "bulk"],
    ["BENCH-5", "memory"],
  ] as const) {
    it(`${id}: ${name} runs every installed competitor on a 1 MiB file and writes its JSON where --out says`, {
      timeout: TIMEOUT,
    }, async () => {
      const out = join(work, `${name}.json`);
      const r = await bench(`${name}/run.ts`, ["--size", "1M", "--out", out]);
      expect(r.code, r.stderr).toBe(0);
      const curl = await hasCommand("curl");
      const installed: Record<string, boolean> = {
        plectrum: true,
        "undici-floor": true,
        "undici-pipe": name === "bulk",
        curl,
        "curl-fsync": curl && (await hasCommand("sync")),
        aria2c: name === "bulk" && (await hasCommand("aria2c")),
      };
      const rows = tableRows(r.stdout);
      const tools = rows.map((c) => c[0]);
      expect(tools).toEqual(Object.keys(installed).filter((t) => installed[t]));
      for (const [, mibps, xCurl, rss] of rows) {
        // Printed rounded to whole MiB/s: a tiny loaded run may show 0; the JSON has the value.
        expect(Number(mibps)).toBeGreaterThanOrEqual(0);
        if (curl) expect(Number.isFinite(Number(xCurl))).toBe(true);
        if (rss !== "n/a") expect(Number(rss)).toBeGreaterThan(0);
      }
      expect(r.stdout).toContain(`command: npm run bench:${name} -- --size 1M`);
      const saved = JSON.parse(await readFile(out, "utf8")) as {
        bench: string;
        results: Array<Record<string, unknown>>;
      };
      expect(saved.bench).toBe(name);
      for (const x of saved.results) {
        expect(x.bytes).toBe(1024 * 1024);
        expect(finite(x.seconds) && finite(x.mibPerSec) && (x.mibPerSec as number) > 0).toBe(true);
      }
    });
  }

  it("BENCH-4 BENCH-5: the HLS bench downloads a 12 s stream with plectrum and ffmpeg (or says what it needs)", {
    timeout: TIMEOUT,
  }, async () => {
    const args = ["--minutes", "0.2", "--rtt", "0", "--concurrency", "2"];
    const r = await bench("hls/run.ts", [
      ...args,
      "--fixture-dir",
      join(work, "hls"),
      "--only",
      "plectrum,ffmpeg",
    ]);
    if (!(await hasCommand("nginx")) || !(await hasCommand("ffmpeg"))) {
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/is required/);
      return;
    }
    expect(r.code, r.stderr).toBe(0);
    const last = r.stdout.trim().split("\n").at(-1) ?? "";
    const j = JSON.parse(last) as { minutes: number; results: Array<Record<string, unknown>> };
    expect(j.minutes).toBe(0.2);
    // ffmpeg has no concurrency knob: plectrum also runs at its default concurrency for it.
    expect(j.results.map((x) => x.tool)).toEqual([
      "plectrum",
      "ffmpeg",
      "plectrum (default concurrency 5)",
    ]);
    for (const x of j.results) {
      expect(x.ok, String(x.note)).toBe(true);
      expect(finite(x.seconds) && (x.seconds as number) > 0).toBe(true);
      expect(x.outBytes as number).toBeGreaterThan(0);
      expect(x.bytes as number).toBeGreaterThan(0);
    }
    const ratios = tableRows(r.stdout).map((c) => Number(c[2]));
    expect(ratios[0]).toBe(1);
    expect(ratios.every(Number.isFinite)).toBe(true);
    expect(r.stdout).toMatch(
      /ffmpeg -c copy \(no concurrency knob\) \/ plectrum \(default concurrency 5\): \d+\.\d\dx/,
    );
  });

  for (const mode of ["audio", "video"] as const) {
    it(`BENCH-6: the ABR simulator (${mode} mode, one trace) scores every algorithm against the optimum`, {
      timeout: TIMEOUT,
    }, async () => {
      const dir = join(work, `traces-${mode}`);
      await mkdir(dir);
      const first = (await readdir(join(TRACES, "train"))).sort()[0] ?? "";
      await copyFile(join(TRACES, "train", first), join(dir, first));
      const r = await bench("abr/main.ts", [
        "--traces",
        dir,
        "--sizes",
        join(TRACES, "video-sizes"),
        "--mode",
        mode,
        "--json",
      ]);
      expect(r.code, r.stderr).toBe(0);
      const j = jsonLine(r.stdout) as {
        mode: string;
        count: number;
        results: Array<Record<string, unknown>>;
      };
      expect(j.mode).toBe(mode);
      expect(j.count).toBe(1);
      const names = j.results.map((x) => String(x.algorithm));
      for (const n of ["BB", "RB", "optimum (offline DP)"]) expect(names).toContain(n);
      expect(names.some((n) => n.startsWith("default ("))).toBe(true);
      expect(j.results.at(-1)).toMatchObject({
        algorithm: "optimum (offline DP)",
        fractionOfOptimal: 1,
      });
      for (const x of j.results) {
        expect(
          [x.qoe, x.qoePerChunk, x.bitrateMbps, x.rebufferS, x.switches, x.fractionOfOptimal].every(
            finite,
          ),
          String(x.algorithm),
        ).toBe(true);
      }
    });
  }

  it("BENCH-3 STORE-2: the store benches (index format, write path, socket) print finite numbers", {
    timeout: TIMEOUT,
  }, async () => {
    const index = await bench("store/index-bench.ts", [
      "--commits",
      "10",
      "--resources",
      "100",
      "--dir",
      work,
    ]);
    expect(index.code, index.stderr).toBe(0);
    const irows = index.stdout.split("\n").filter((l) => l.startsWith("| "));
    expect(irows).toHaveLength(6);
    for (const l of irows) expect(Number(l.split("|")[2])).toBeGreaterThanOrEqual(0);
    const write = await bench("store/write-bench.ts", ["--mib", "2", "--dir", work]);
    expect(write.code, write.stderr).toBe(0);
    // raw, raw writev, store append, store write: MiB/s and ratio to raw
    const wrows = tableRows(write.stdout);
    expect(wrows).toHaveLength(4);
    for (const [, mibps, ratio] of wrows)
      expect(Number(mibps) > 0 && Number.isFinite(Number(ratio))).toBe(true);
    const socket = await bench("store/socket-bench.ts", ["--size", "1M", "--runs", "1"]);
    expect(socket.code, socket.stderr).toBe(0);
    const srows = tableRows(socket.stdout);
    expect(srows.map((c) => c[0]?.split(":")[0])).toEqual(["raw", "store"]);
    for (const [, mibps, ratio] of srows)
      expect(Number(mibps) >= 0 && Number.isFinite(Number(ratio))).toBe(true);
  });
});
