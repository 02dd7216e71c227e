/**
 * BENCH-3: bulk throughput of one large file (default 1 GiB, `--size 256M` etc.) from a local
 * server (nginx if installed, else Node): plectrum vs curl vs aria2c, with peak RSS of each.
 * Run: npm run bench:bulk -- [--size 1G] [--runs 1] [--node-server]
 */
import { runFileBench } from "../support/file-bench.js";

await runFileBench({
  name: "bulk",
  defaultSize: "1G",
  tools: ["plectrum", "undici", "curl", "aria2c"],
});
