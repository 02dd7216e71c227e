/**
 * The progressive-file benchmarks (BENCH-3 bulk throughput, BENCH-5 peak RSS): one large file
 * from a local server, downloaded by plectrum (a separate Node process running the public API)
 * and by competitors in the same run, each measured the same way (`/usr/bin/time -v`).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { bundleDownloadChild } from "../../test/rel/bundle-child.js";
import { startDelayProxy } from "./delay-proxy.js";
import { measure, parseSize, type RunResult, sha256File } from "./measure.js";
import { serveFile } from "./static-server.js";

export type Tool = "plectrum" | "undici-floor" | "undici-pipe" | "curl" | "curl-fsync" | "aria2c";

/**
 * The platform floor: what Node + undici can do at best, no engine: `Agent.dispatch` with its
 * own handler, body chunks batched to 1 MiB and written with positional `writev`, at most two
 * writes in flight (the socket is paused meanwhile). No fsync, no index.
 */
const UNDICI_FLOOR = `import { Agent } from "undici";
import { closeSync, openSync, writev } from "node:fs";
const [url, out] = process.argv.slice(1);
const u = new URL(url);
const fd = openSync(out, "w");
const agent = new Agent();
let batch = [], batchBytes = 0, at = 0, writing = 0, ended = false, ctl, paused = false;
let done, fail;
const finished = new Promise((resolve, reject) => { done = resolve; fail = reject; });
function flush() {
  if (batchBytes === 0) return;
  const bufs = batch, pos = at;
  at += batchBytes; batch = []; batchBytes = 0; writing++;
  writev(fd, bufs, pos, (err) => {
    if (err) return fail(err);
    writing--;
    if (paused) { paused = false; ctl.resume(); }
    if (ended && writing === 0) done();
  });
  if (writing >= 2 && !paused) { paused = true; ctl.pause(); }
}
agent.dispatch({ origin: u.origin, path: u.pathname + u.search, method: "GET" }, {
  onRequestStart(c) { ctl = c; },
  onResponseStart(c, status) { if (status !== 200) fail(new Error("HTTP " + status)); },
  onResponseData(c, chunk) { batch.push(chunk); batchBytes += chunk.length; if (batchBytes >= 1 << 20) flush(); },
  onResponseEnd() { ended = true; flush(); if (writing === 0) done(); },
  onResponseError(c, err) { fail(err); },
});
await finished;
closeSync(fd);
await agent.close();`;

/** What a typical Node program does: undici's Readable piped into a WriteStream. */
const UNDICI_PIPE = `import { request } from "undici";
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
const [url, out] = process.argv.slice(1);
const res = await request(url);
await pipeline(res.body, createWriteStream(out));`;

export interface FileBenchSpec {
  name: string;
  defaultSize: string;
  tools: readonly Tool[];
}

const REPO = join(import.meta.dirname, "..", "..");

function have(cmd: string): boolean {
  return spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0;
}

/** The external commands a tool needs are installed (plectrum and undici run on this Node). */
function available(tool: Tool): boolean {
  switch (tool) {
    case "plectrum":
    case "undici-floor":
    case "undici-pipe":
      return true;
    case "curl-fsync":
      return have("curl") && have("sync");
    default:
      return have(tool);
  }
}

export async function makeFile(path: string, size: number): Promise<void> {
  const block = randomBytes(4 * 1024 * 1024);
  const out = createWriteStream(path);
  for (let left = size; left > 0; left -= block.length) {
    const chunk = left >= block.length ? block : block.subarray(0, left);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
}

/** The command line of `tool` and where it writes (plectrum: the path it prints). */
function argv(
  tool: Tool,
  url: string,
  dir: string,
  child: string,
): { argv: string[]; output: string | ((stdout: string) => string) } {
  const output = join(dir, "out.bin");
  switch (tool) {
    case "undici-floor":
    case "undici-pipe":
      return {
        argv: [
          process.execPath,
          "--input-type=module",
          "-e",
          tool === "undici-floor" ? UNDICI_FLOOR : UNDICI_PIPE,
          url,
          output,
        ],
        output,
      };
    case "curl":
      return { argv: ["curl", "-sS", "-o", output, url], output };
    case "curl-fsync":
      // curl with the durability plectrum's commit has (STORE-2): the file's data on disk.
      return {
        argv: ["sh", "-c", 'curl -sS -o "$1" "$2" && sync -d "$1"', "sh", output, url],
        output,
      };
    case "aria2c":
      return {
        argv: [
          "aria2c",
          "-q",
          "-x1",
          "-s1",
          "--file-allocation=none",
          "--allow-overwrite=true",
          "-d",
          dir,
          "-o",
          "out.bin",
          url,
        ],
        output,
      };
    case "plectrum":
      return {
        argv: [process.execPath, child, url, join(dir, "cache")],
        output: (stdout) => JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}").path,
      };
  }
}

export async function runFileBench(spec: FileBenchSpec): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: "string", default: spec.defaultSize },
      runs: { type: "string", default: "1" },
      "node-server": { type: "boolean", default: false },
      /** Added round trip (ms) through the delaying relay in front of the server; 0 = none. */
      rtt: { type: "string", default: "0" },
      /** Where to write the JSON result; default bench/results/<name>.json. */
      out: { type: "string" },
    },
  });
  const size = parseSize(values.size);
  const runs = Number(values.runs);
  const work = await mkdtemp(join(tmpdir(), `plectrum-bench-${spec.name}-`));
  try {
    const file = join(work, "www", "media.bin");
    // nginx workers run as an unprivileged user: let them read the served file.
    await chmod(work, 0o755);
    await mkdir(join(work, "www"), { mode: 0o755 });
    await makeFile(file, size);
    const expectHash = await sha256File(file);
    const server = await serveFile(file, work, values["node-server"]);
    const rtt = Number(values.rtt);
    if (!(rtt >= 0)) throw new Error(`--rtt must be a number of ms >= 0, got ${values.rtt}`);
    const origin = new URL(server.url);
    const relay = rtt > 0 ? await startDelayProxy(Number(origin.port), rtt) : undefined;
    const url = relay ? `http://127.0.0.1:${relay.port}${origin.pathname}` : server.url;
    const child = await bundleDownloadChild(join(work, "download-child.mjs"));
    const tools = spec.tools.filter(available);
    const results: RunResult[] = [];
    try {
      for (let r = 0; r < runs; r++) {
        for (const tool of tools) {
          const dir = join(work, `${tool}-${r}`);
          await mkdir(dir);
          const cmd = argv(tool, url, dir, child);
          const res = await measure(tool, cmd.argv, size, cmd.output);
          if ((await sha256File(res.file)) !== expectHash) throw new Error(`${tool}: wrong bytes`);
          results.push(res);
          await rm(dir, { recursive: true, force: true });
        }
      }
    } finally {
      await relay?.close();
      await server.close();
    }
    await report(spec, values.size, server.kind, rtt, tools, results, runs, values.out);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function best(results: RunResult[], tool: Tool): RunResult | undefined {
  return results.filter((r) => r.tool === tool).sort((a, b) => a.seconds - b.seconds)[0];
}

async function report(
  spec: FileBenchSpec,
  sizeText: string,
  serverKind: string,
  rtt: number,
  tools: readonly Tool[],
  results: RunResult[],
  runs: number,
  outPath: string | undefined,
): Promise<void> {
  const curl = best(results, "curl");
  const rows = tools.flatMap((t) => {
    const r = best(results, t);
    if (!r) return [];
    const ratio = curl ? (r.mibPerSec / curl.mibPerSec).toFixed(2) : "n/a";
    const rss = r.peakRssMiB === null ? "n/a" : r.peakRssMiB.toFixed(1);
    return [`| ${t} | ${r.mibPerSec.toFixed(0)} | ${ratio} | ${rss} |`];
  });
  const command = `npm run bench:${spec.name} -- --size ${sizeText}${runs > 1 ? ` --runs ${runs}` : ""}${rtt > 0 ? ` --rtt ${rtt}` : ""}`;
  const path = rtt > 0 ? `on loopback behind a +${rtt} ms RTT relay` : "on loopback";
  const lines = [
    `${spec.name}: ${sizeText} file from ${serverKind} ${path}, best of ${runs} run(s) per tool`,
    `command: ${command}`,
    "",
    "| tool | MiB/s | x curl | peak RSS MiB |",
    "|---|---|---|---|",
    ...rows,
  ];
  console.log(lines.join("\n"));
  const out = outPath ?? join(REPO, "bench", "results", `${spec.name}.json`);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(
    out,
    `${JSON.stringify({ bench: spec.name, size: sizeText, server: serverKind, rttMs: rtt, command, results }, null, 2)}\n`,
  );
}
