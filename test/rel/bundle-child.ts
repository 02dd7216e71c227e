/**
 * Bundle `download-child.ts` (and everything it imports) into one ESM file with esbuild, so a
 * child process starts in a fraction of a second instead of compiling TypeScript each time.
 * Used by the REL-2 crash test and by the bulk/memory benchmarks.
 */
import { join } from "node:path";
import { build } from "esbuild";

export async function bundleDownloadChild(outfile: string): Promise<string> {
  await build({
    entryPoints: [join(import.meta.dirname, "download-child.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "error",
    // Bundled CommonJS dependencies (undici) call require(); give the ESM bundle one.
    banner: {
      js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
    },
  });
  return outfile;
}
