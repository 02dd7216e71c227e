/** Directory scan of one asset (STORE-5 rebuild, verify, gc, sizes). */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export interface ScannedAsset {
  /** Canonical (committed) files: key -> size. */
  files: Map<string, number>;
  /** `.part` files: key -> size. */
  parts: Map<string, number>;
  /** Lock files by key. */
  locks: Set<string>;
  /** Temporary files (take-over guards, index temp): absolute paths. */
  temps: string[];
  bytes: number;
}

/** Walk `dir` (sync: one pass of cheap syscalls, measured in bench/store). */
export function scanAsset(dir: string): ScannedAsset {
  const out: ScannedAsset = {
    files: new Map(),
    parts: new Map(),
    locks: new Set(),
    temps: [],
    bytes: 0,
  };
  walk(dir, "", out);
  return out;
}

function walk(dir: string, prefix: string, out: ScannedAsset): void {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const abs = join(dir, e.name);
    const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) {
      walk(abs, rel, out);
      continue;
    }
    if (!e.isFile()) continue;
    if (prefix === "" && e.name.startsWith(".index")) {
      if (e.name !== ".index") out.temps.push(abs);
      continue;
    }
    if (e.name.endsWith(".tmp")) {
      out.temps.push(abs);
      continue;
    }
    if (e.name.endsWith(".lock")) {
      out.locks.add(rel.slice(0, -5));
      continue;
    }
    let size: number;
    try {
      size = statSync(abs).size;
    } catch {
      continue;
    }
    out.bytes += size;
    if (e.name.endsWith(".part")) out.parts.set(rel.slice(0, -5), size);
    else out.files.set(rel, size);
  }
}
