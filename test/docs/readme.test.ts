/**
 * The README's TypeScript examples compile against the current public API: each ```ts block
 * is type-checked as its own module (`"plectrum"` mapped to src/index.ts), with the few
 * free names an example leaves to the reader declared below. An API change that breaks an
 * example fails here instead of in a new user's editor.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

/** What each README section's example assumes the reader has (keyed by section marker). */
const GIVEN: Record<string, string> = {
  quickstart: "",
  downloader: "declare function save(i: number, chunk: Uint8Array): void;",
  reading: 'declare const player: import("node:stream").Writable;',
  hls: "",
  transport: "",
  abr: [
    'import type { AbrPeerSurface, EventBus } from "plectrum";',
    "declare const peer: AbrPeerSurface;",
    "declare const bus: EventBus;",
    "declare const bytes: number, durationMs: number, ttfbMs: number;",
  ].join("\n"),
};

function examples(): Array<{ section: string; code: string }> {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const out: Array<{ section: string; code: string }> = [];
  let section = "";
  const re = /<!-- section:([\w-]+) -->|```ts\n([\s\S]*?)```/g;
  for (let m = re.exec(readme); m; m = re.exec(readme)) {
    if (m[1] !== undefined) section = m[1];
    else out.push({ section, code: m[2] ?? "" });
  }
  return out;
}

describe("README examples", () => {
  it("RES-1 RES-2 DL-2 DL-3 ABR-3 ABR-6 NET-1: every TypeScript example in the README type-checks against the public API", async () => {
    const found = examples();
    expect(found.map((e) => e.section).sort()).toEqual(Object.keys(GIVEN).sort());
    const dir = await mkdtemp(join(ROOT, "test", "docs", ".examples-"));
    try {
      const files: string[] = [];
      for (const [i, { section, code }] of found.entries()) {
        const file = join(dir, `${i}-${section}.ts`);
        // Given names first; the example's own imports are hoisted by the module system anyway.
        await writeFile(file, `${GIVEN[section]}\n${code}\nexport {};\n`);
        files.push(file);
      }
      const program = ts.createProgram(files, {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: true,
        noEmit: true,
        types: ["node"],
        lib: ["lib.es2023.d.ts", "lib.dom.d.ts", "lib.esnext.disposable.d.ts"],
        baseUrl: ROOT,
        paths: { plectrum: ["src/index.ts"] },
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file?.fileName.startsWith(dir))
        .map((d) => {
          const where = d.file ? `${d.file.fileName.slice(dir.length + 1)}` : "?";
          return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
        });
      expect(problems).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
