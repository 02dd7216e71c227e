/**
 * Bundle `download-child.ts` (and everything it imports) with esbuild, so a child process
 * starts in a fraction of a second instead of compiling TypeScript each time. Used by the REL-2
 * crash test and by the bulk/memory benchmarks.
 *
 * Dynamic imports (the undici backend, loaded only when chosen) become separate chunks next to
 * the entry file, loaded on demand as they are from the published package: a child that never
 * selects undici never parses it (BENCH-5 measures this process's peak RSS).
 */
import { basename, dirname, extname, join } from "node:path";
import { build } from "esbuild";

/** Writes the bundle to `outfile` (its chunks beside it); returns `outfile`. */
export async function bundleDownloadChild(outfile: string): Promise<string> {
  await build({
    entryPoints: {
      [basename(outfile, extname(outfile))]: join(import.meta.dirname, "download-child.ts"),
    },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outdir: dirname(outfile),
    outExtension: { ".js": ".mjs" },
    logLevel: "error",
    // Bundled CommonJS dependencies (undici) call require(); give the ESM bundle one.
    banner: {
      js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
    },
  });
  return outfile;
}
