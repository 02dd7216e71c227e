/**
 * BENCH-3: bulk throughput of one large file (default 1 GiB, `--size 256M` etc.) from a local
 * server (nginx if installed, else Node): plectrum vs curl (plain, and followed by an fdatasync
 * of its output: plectrum's commit is durable, STORE-2) vs aria2c, and the Node + undici floor
 * (dispatch + batched writev) and a naive undici pipeline, with peak RSS of each.
 * Run: npm run bench:bulk -- [--size 1G] [--runs 1] [--node-server] [--rtt 40]
 */
import { runFileBench } from "../support/file-bench.js";

await runFileBench({
  name: "bulk",
  defaultSize: "1G",
  tools: ["plectrum", "undici-floor", "undici-pipe", "curl", "curl-fsync", "aria2c"],
});
