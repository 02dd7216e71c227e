/**
 * Files on disk (STORE-1/2/3/5): `<root>/<assetRoot>/<key>` committed, `<key>.part` being
 * written, `<key>.lock` the claim, `<assetRoot>/.index` the journal (journal.ts).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { appendFile, mkdir, readFile, rename, rm, utimes, writeFile } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import type {
  Backend,
  BackendAsset,
  BytesFile,
  LoadedAsset,
  PersistedResource,
} from "./backend.js";
import { DirSyncGroup } from "./dir-sync.js";
import { DiskFile, syncDir } from "./disk-file.js";
import { StoreError } from "./errors.js";
import {
  encodeHeader,
  encodeIndex,
  encodeRecord,
  INDEX_FILE,
  INDEX_TMP,
  type ParsedIndex,
  parseIndex,
} from "./journal.js";
import { LockTable, unlinkQuiet } from "./lock.js";
import { type ScannedAsset, scanAsset } from "./scan.js";
import type { VerifyProblem, VerifyReport } from "./types.js";

const ASSET_DIR = /^[0-9a-f]{32}$/;
/** Compact the journal when it holds this many times more lines than live resources. */
const COMPACT_RATIO = 4;
const COMPACT_MIN_LINES = 256;

const errCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

function sizeOf(path: string): number | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

function maxEnd(ranges: Array<[number, number]>): number {
  return ranges.length === 0 ? 0 : (ranges[ranges.length - 1]?.[1] ?? 0);
}

function committedRecord(key: string, url: string, size: number, prev?: PersistedResource) {
  const rec: PersistedResource = {
    key,
    url,
    state: "committed",
    total: size,
    ranges: size > 0 ? [[0, size]] : [],
    validator: prev?.validator,
  };
  return rec;
}

export class DiskBackend implements Backend {
  readonly root: string;
  readonly #locks = new LockTable();
  /** Concurrent commits in one directory share one directory fsync (STORE-2). */
  readonly #dirSyncs = new DirSyncGroup();
  /** Asset URL per loaded asset root, for an index header that has to be (re)created. */
  readonly #urls = new Map<string, string>();

  constructor(root: string) {
    this.root = root;
  }

  #dir(assetRoot: string): string {
    return join(this.root, assetRoot);
  }
  #index(assetRoot: string): string {
    return join(this.root, assetRoot, INDEX_FILE);
  }
  pathOf(assetRoot: string, key: string): string {
    return key === "" ? this.#dir(assetRoot) : join(this.root, assetRoot, key);
  }

  async #readIndex(assetRoot: string): Promise<ParsedIndex> {
    try {
      return parseIndex(await readFile(this.#index(assetRoot), "utf8"));
    } catch (err) {
      if (errCode(err) === "ENOENT") return parseIndex(undefined);
      throw new StoreError("Io", `cannot read index of ${assetRoot}`, { cause: err });
    }
  }

  /** A persisted record checked against the files: the files win (STORE-5). */
  #validate(assetRoot: string, rec: PersistedResource): PersistedResource | undefined {
    const path = this.pathOf(assetRoot, rec.key);
    const size = sizeOf(path);
    if (size !== undefined)
      return rec.state === "committed" && rec.total === size
        ? rec
        : committedRecord(rec.key, rec.url, size, rec);
    if (rec.state === "committed") return undefined;
    const part = sizeOf(`${path}.part`);
    if (part === undefined || part < maxEnd(rec.ranges)) return undefined;
    return rec;
  }

  async loadAsset(assetRoot: string, url: string): Promise<LoadedAsset> {
    const dir = this.#dir(assetRoot);
    await mkdir(dir, { recursive: true });
    const parsed = await this.#readIndex(assetRoot);
    const resources = new Map<string, PersistedResource>();
    let changed = false;
    for (const rec of parsed.resources.values()) {
      const v = this.#validate(assetRoot, rec);
      if (v !== rec) changed = true;
      if (v !== undefined) resources.set(v.key, v);
    }
    let rebuilt: string | undefined;
    const fresh = parsed.damage === "missing" && readdirSync(dir).length === 0;
    if (parsed.damage !== undefined && !fresh) {
      rebuilt = parsed.damage === "missing" ? "index missing" : `index ${parsed.damage}`;
      await this.#rebuild(assetRoot, resources);
      changed = true;
    }
    const tooLong = parsed.lines > Math.max(COMPACT_MIN_LINES, COMPACT_RATIO * resources.size);
    this.#urls.set(assetRoot, parsed.url ?? url);
    if (fresh) await this.#ensureIndex(assetRoot);
    else if (changed || tooLong) await this.#compact(assetRoot, parsed.url ?? url, resources);
    return { resources, rebuilt };
  }

  /** STORE-5: committed files are adopted; a `.part` without a valid record (a torn write)
   * is deleted unless a live claim holds it, so its bytes are fetched again. */
  async #rebuild(assetRoot: string, resources: Map<string, PersistedResource>): Promise<void> {
    const scan = scanAsset(this.#dir(assetRoot));
    for (const [key, size] of scan.files)
      if (resources.get(key)?.state !== "committed")
        resources.set(key, committedRecord(key, resources.get(key)?.url ?? "", size));
    for (const key of scan.parts.keys()) {
      if (resources.has(key) || this.#locks.isHeld(`${this.pathOf(assetRoot, key)}.lock`)) continue;
      await unlinkQuiet(`${this.pathOf(assetRoot, key)}.part`);
    }
  }

  /** Rewrite the journal as one line per resource: temp file, fsync, rename, dir fsync. Only
   * when no live claim exists in the asset (another process could be appending). */
  async #compact(
    assetRoot: string,
    url: string,
    resources: Map<string, PersistedResource>,
  ): Promise<void> {
    const dir = this.#dir(assetRoot);
    const scan = scanAsset(dir);
    for (const key of scan.locks)
      if (this.#locks.isHeld(`${this.pathOf(assetRoot, key)}.lock`)) return;
    const tmp = join(dir, INDEX_TMP);
    const f = await DiskFile.open(tmp, "w+");
    try {
      await f.write(0, Buffer.from(encodeIndex(url, resources.values())));
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, this.#index(assetRoot));
    await syncDir(dir);
  }

  async probe(assetRoot: string, key: string, url: string): Promise<PersistedResource | undefined> {
    const size = sizeOf(this.pathOf(assetRoot, key));
    return size === undefined ? undefined : committedRecord(key, url, size);
  }

  async reloadResource(assetRoot: string, key: string): Promise<PersistedResource | undefined> {
    const rec = (await this.#readIndex(assetRoot)).resources.get(key);
    if (rec !== undefined) return this.#validate(assetRoot, rec);
    return this.probe(assetRoot, key, "");
  }

  /** Create the index with its header unless it exists (never clobbers another writer's). */
  async #ensureIndex(assetRoot: string): Promise<void> {
    try {
      await mkdir(this.#dir(assetRoot), { recursive: true });
      await writeFile(this.#index(assetRoot), encodeHeader(this.#urls.get(assetRoot) ?? ""), {
        flag: "wx",
      });
    } catch (err) {
      if (errCode(err) !== "EEXIST") throw err;
    }
  }

  async record(
    assetRoot: string,
    key: string,
    state: PersistedResource | undefined,
  ): Promise<void> {
    const path = this.#index(assetRoot);
    try {
      // The asset may have been removed under a stale handle: start a well-formed index.
      if (statSync(path, { throwIfNoEntry: false }) === undefined)
        await this.#ensureIndex(assetRoot);
      await appendFile(path, encodeRecord(key, state), { flag: "a" });
    } catch (err) {
      throw new StoreError("Io", `cannot append to index of ${assetRoot}`, { cause: err });
    }
  }

  async lock(assetRoot: string, key: string): Promise<string | undefined> {
    const path = this.pathOf(assetRoot, key);
    const dir = dirname(path);
    try {
      // A recursive mkdir per claim cost ~0.3 ms of event loop per HLS segment: skip it for
      // a directory made before; if it was removed since, the claim fails ENOENT: redo once.
      // The first claim in a directory also removes claim temps left by crashed claimants.
      if (!this.#madeDirs.has(dir)) {
        await this.#makeDir(dir);
        await this.#locks.sweepClaimTemps(dir);
      }
      if (statSync(path, { throwIfNoEntry: false })?.isDirectory())
        throw new StoreError("PathConflict", `${key} is a directory of another resource`);
      try {
        return await this.#locks.acquire(`${path}.lock`);
      } catch (err) {
        if (errCode(err) !== "ENOENT") throw err;
        await this.#makeDir(dir);
        return await this.#locks.acquire(`${path}.lock`);
      }
    } catch (err) {
      if (err instanceof StoreError) throw err;
      const code = errCode(err);
      if (code === "ENOTDIR" || code === "EEXIST")
        throw new StoreError("PathConflict", `${key} collides with another resource's file`, {
          cause: err,
        });
      throw new StoreError("Io", `cannot claim ${key}`, { cause: err });
    }
  }

  /** Directories `lock` made; cleared per asset when the asset is removed. */
  readonly #madeDirs = new Set<string>();

  async #makeDir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    this.#madeDirs.add(dir);
  }

  async unlock(assetRoot: string, key: string, token: string): Promise<void> {
    await this.#locks.release(`${this.pathOf(assetRoot, key)}.lock`, token);
  }

  isLocked(assetRoot: string, key: string): boolean {
    return this.#locks.isHeld(`${this.pathOf(assetRoot, key)}.lock`);
  }

  async openPart(assetRoot: string, key: string, keep: boolean): Promise<BytesFile> {
    const path = `${this.pathOf(assetRoot, key)}.part`;
    try {
      return await DiskFile.open(path, keep ? "r+" : "w+");
    } catch (err) {
      throw new StoreError("Io", `cannot open ${key}.part`, { cause: err });
    }
  }

  async commitPart(assetRoot: string, key: string, part: BytesFile): Promise<void> {
    const path = this.pathOf(assetRoot, key);
    try {
      await part.sync();
      await part.close();
      await rename(`${path}.part`, path);
      await this.#dirSyncs.sync(dirname(path));
    } catch (err) {
      await part.close();
      throw new StoreError("Io", `cannot commit ${key}`, { cause: err });
    }
  }

  async deletePart(assetRoot: string, key: string): Promise<void> {
    await unlinkQuiet(`${this.pathOf(assetRoot, key)}.part`);
  }

  async openRead(assetRoot: string, key: string, committed: boolean): Promise<BytesFile> {
    const path = this.pathOf(assetRoot, key);
    const order = committed ? [path, `${path}.part`] : [`${path}.part`, path];
    let last: unknown;
    for (const p of order) {
      try {
        return await DiskFile.open(p, "r");
      } catch (err) {
        last = err;
        if (errCode(err) !== "ENOENT") break;
      }
    }
    throw new StoreError("Io", `cannot open ${key} for reading`, { cause: last });
  }

  async removeResource(assetRoot: string, key: string): Promise<void> {
    const path = this.pathOf(assetRoot, key);
    await unlinkQuiet(path);
    await unlinkQuiet(`${path}.part`);
  }

  async removeAsset(assetRoot: string): Promise<number> {
    const dir = this.#dir(assetRoot);
    const bytes = scanAsset(dir).bytes;
    for (const d of this.#madeDirs)
      if (d === dir || d.startsWith(`${dir}${sep}`)) this.#madeDirs.delete(d);
    await rm(dir, { recursive: true, force: true });
    return bytes;
  }

  async touch(assetRoot: string, epochMs: number): Promise<void> {
    const t = new Date(epochMs);
    try {
      await utimes(this.#index(assetRoot), t, t);
    } catch (err) {
      if (errCode(err) !== "ENOENT") throw err;
    }
  }

  #assetDirs(): string[] {
    try {
      return readdirSync(this.root).filter((n) => ASSET_DIR.test(n));
    } catch {
      return [];
    }
  }

  #headerUrl(assetRoot: string): string | undefined {
    try {
      const text = readFileSync(this.#index(assetRoot), "utf8");
      return parseIndex(text.slice(0, text.indexOf("\n") + 1)).url;
    } catch {
      return undefined;
    }
  }

  #anyLiveLock(assetRoot: string, scan: ScannedAsset): boolean {
    for (const key of scan.locks)
      if (this.#locks.isHeld(`${this.pathOf(assetRoot, key)}.lock`)) return true;
    return false;
  }

  async describeAsset(assetRoot: string): Promise<BackendAsset | undefined> {
    const dir = this.#dir(assetRoot);
    const st = statSync(dir, { throwIfNoEntry: false });
    if (st === undefined || !st.isDirectory()) return undefined;
    const scan = scanAsset(dir);
    return {
      assetRoot,
      url: this.#headerUrl(assetRoot),
      bytes: scan.bytes,
      committed: scan.files.size,
      partial: scan.parts.size,
      lastUsed: statSync(this.#index(assetRoot), { throwIfNoEntry: false })?.mtimeMs ?? st.mtimeMs,
      locked: this.#anyLiveLock(assetRoot, scan),
    };
  }

  async listAssets(): Promise<BackendAsset[]> {
    const out: BackendAsset[] = [];
    for (const assetRoot of this.#assetDirs()) {
      const a = await this.describeAsset(assetRoot);
      if (a !== undefined) out.push(a);
    }
    return out;
  }

  async verify(): Promise<VerifyReport> {
    const problems: VerifyProblem[] = [];
    let resources = 0;
    const dirs = this.#assetDirs();
    for (const assetRoot of dirs) {
      const idx = await this.#readIndex(assetRoot);
      const scan = scanAsset(this.#dir(assetRoot));
      const add = (resource: string, problem: VerifyProblem["problem"], detail: string) =>
        problems.push({ assetRoot, resource, problem, detail });
      if (idx.damage !== undefined) add("", "index-damaged", `index ${idx.damage}`);
      resources += idx.resources.size;
      for (const rec of idx.resources.values()) {
        const file = scan.files.get(rec.key);
        if (rec.state === "committed") {
          if (file === undefined) add(rec.key, "missing-file", "indexed as committed, no file");
          else if (file !== rec.total)
            add(rec.key, "size-mismatch", `index says ${rec.total} bytes, file has ${file}`);
        } else if (file === undefined) {
          const part = scan.parts.get(rec.key);
          if (part === undefined) add(rec.key, "missing-file", "indexed as partial, no .part");
          else if (part < maxEnd(rec.ranges))
            add(
              rec.key,
              "part-too-short",
              `.part has ${part} bytes, ranges reach ${maxEnd(rec.ranges)}`,
            );
        }
      }
      for (const [key, size] of scan.files)
        if (idx.resources.get(key)?.state !== "committed")
          add(key, "unindexed-file", `${size} bytes on disk, not indexed as committed`);
      for (const key of scan.parts.keys())
        if (!idx.resources.has(key) && !this.#locks.isHeld(`${this.pathOf(assetRoot, key)}.lock`))
          add(key, "orphan-part", ".part without index record or live claim");
    }
    return { assets: dirs.length, resources, problems };
  }

  async collectGarbage(
    active: (assetRoot: string, key: string) => boolean,
  ): Promise<{ removedFiles: number; freedBytes: number }> {
    let removedFiles = 0;
    let freedBytes = 0;
    for (const assetRoot of this.#assetDirs()) {
      const idx = await this.#readIndex(assetRoot);
      const scan = scanAsset(this.#dir(assetRoot));
      for (const [key, size] of scan.parts) {
        const lock = `${this.pathOf(assetRoot, key)}.lock`;
        if (idx.resources.get(key)?.state === "partial" || active(assetRoot, key)) continue;
        if (this.#locks.isHeld(lock)) continue;
        await unlinkQuiet(`${this.pathOf(assetRoot, key)}.part`);
        removedFiles++;
        freedBytes += size;
      }
      for (const key of scan.locks) {
        if (await this.#locks.removeStale(`${this.pathOf(assetRoot, key)}.lock`)) removedFiles++;
      }
      for (const tmp of scan.temps) {
        const age = Date.now() - (statSync(tmp, { throwIfNoEntry: false })?.mtimeMs ?? 0);
        if (age < 60_000 && !this.#locks.staleClaimTemp(tmp)) continue;
        await unlinkQuiet(tmp);
        removedFiles++;
      }
    }
    return { removedFiles, freedBytes };
  }

  async close(): Promise<void> {}
}
