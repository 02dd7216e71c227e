/**
 * BENCH-5 (progressive part): peak RSS while downloading a 2 GiB file (target < 100 MB), with
 * throughput against curl in the same run (target >= 0.9x).
 * Run: npm run bench:memory -- [--size 2G] [--runs 1] [--node-server]
 */
import { runFileBench } from "../support/file-bench.js";

await runFileBench({
  name: "memory",
  defaultSize: "2G",
  tools: ["plectrum", "undici-floor", "curl", "curl-fsync"],
});
