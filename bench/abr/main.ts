/**
 * BENCH-6: the trace-driven ABR simulator.
 *   npm run bench:abr -- --traces DIR --mode video|audio [--scale X] [--json]
 * Traces default to ../shared/traces/train relative to the repository root.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { AUDIO_TRACE_SCALE, audioContent, loadTraces, videoContent } from "./content.js";
import { type BenchResult, runBench } from "./suite.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function main(): void {
  const { values } = parseArgs({
    options: {
      traces: { type: "string", default: join(root, "../shared/traces/train") },
      sizes: { type: "string" },
      mode: { type: "string", default: "video" },
      scale: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const mode = values.mode;
  if (mode !== "video" && mode !== "audio")
    throw new Error(`--mode must be video or audio, got ${mode}`);
  const tracesDir = resolve(values.traces);
  const sibling = join(tracesDir, "../video-sizes");
  const sizesDir = values.sizes
    ? resolve(values.sizes)
    : existsSync(sibling)
      ? sibling
      : join(root, "../shared/traces/video-sizes");
  const scale =
    values.scale !== undefined ? Number(values.scale) : mode === "audio" ? AUDIO_TRACE_SCALE : 1;
  if (!(scale > 0)) throw new Error(`--scale must be a positive number, got ${values.scale}`);
  if (mode === "video" && !existsSync(sizesDir))
    throw new Error(`no video sizes at ${sizesDir} (use --sizes DIR)`);
  const traces = loadTraces(tracesDir, scale);
  const content = mode === "video" ? videoContent(sizesDir) : audioContent();
  const result = runBench(traces, content, tracesDir);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  printTable(result, scale);
}

function printTable(r: BenchResult, scale: number): void {
  const cmd = `npm run bench:abr -- ${process.argv.slice(2).join(" ")}`;
  console.log(`# ${cmd}`);
  console.log(`# mode=${r.mode} traces=${r.traces} (${r.count}) scale=${scale}`);
  console.log(
    "| algorithm | QoE | QoE/chunk | bitrate Mbit/s | rebuffer s | switches | of optimum |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const x of r.results) {
    const frac = x.fractionOfOptimal === null ? "" : `${(x.fractionOfOptimal * 100).toFixed(1)} %`;
    console.log(
      `| ${x.algorithm} | ${x.qoe.toFixed(2)} | ${x.qoePerChunk.toFixed(3)} | ${x.bitrateMbps.toFixed(3)} | ${x.rebufferS.toFixed(2)} | ${x.switches.toFixed(1)} | ${frac} |`,
    );
  }
}

main();
