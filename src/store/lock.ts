/**
 * Writer claims across processes (STORE-2): `<path>.lock` holding `{pid, host, token}`, made
 * whole before it exists: the claim is written into a unique temp file
 * (`<path>.lock.<pid>.<hex>.tmp`), datasynced, then hard-linked to `<path>.lock` (EEXIST =
 * taken) and the temp unlinked. So a lock file is never empty or half-written, and a lock
 * whose content does not parse is garbage (stale), not a claim in progress. A lock whose
 * owner is dead (same host, `kill(pid, 0)` = ESRCH; or our own pid with a token this process
 * never issued, i.e. a previous incarnation) is stale and is taken over. Take-overs are
 * serialised through `<path>.lock.tmp` (same content, made the same way) so two claimants can
 * never both delete and recreate the lock; a guard left by a dead claimant is itself stale at
 * once, any guard after 10 s. A claim temp left by a crashed claimant is never read as a lock
 * (it ends in `.tmp`); `sweepClaimTemps` / `staleClaimTemp` remove it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { link, open, readdir, readFile, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";

interface Owner {
  pid: number;
  host: string;
  token: string;
}

/**
 * A take-over guard older than this belongs to a claimant that crashed mid-take-over; a claim
 * temp older than this was left by a crash (a live one exists for one write + datasync + link).
 */
const GUARD_STALE_MS = 10_000;
/** Claim temp files: `<target>.<pid>.<8 hex>.tmp`, target = `<name>.lock` or its guard. */
const CLAIM_TEMP = /\.lock(?:\.tmp)?\.(\d+)\.[0-9a-f]{8}\.tmp$/;
/** Times a claim is re-tried when a sweeper removed its temp before the link (harmless). */
const LINK_RETRIES = 3;

const HOST = hostname();

function parseOwner(text: string): Owner | undefined {
  try {
    const v = JSON.parse(text) as Partial<Owner>;
    if (typeof v.pid === "number" && typeof v.host === "string" && typeof v.token === "string")
      return { pid: v.pid, host: v.host, token: v.token };
  } catch {
    // fall through: unreadable
  }
  return undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const errCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

/** Tokens this process holds, shared by every store instance in the process. */
const HELD = new Set<string>();

export class LockTable {
  readonly #held = HELD;

  #alive(owner: Owner): boolean {
    if (owner.host !== HOST) return true; // cannot tell across hosts: never steal
    if (owner.pid === process.pid) return this.#held.has(owner.token);
    return pidAlive(owner.pid);
  }

  /** True when `lockPath` is held by a live owner (this process included). */
  isHeld(lockPath: string): boolean {
    const text = readQuiet(lockPath);
    return text !== undefined && this.#heldBy(text);
  }

  /**
   * Whether `text` names a live owner. Content that does not parse is garbage, never a claim
   * being written (a lock appears only whole, by `link`), so it holds nothing.
   */
  #heldBy(text: string): boolean {
    const owner = parseOwner(text);
    return owner !== undefined && this.#alive(owner);
  }

  async acquire(lockPath: string): Promise<string | undefined> {
    const token = randomUUID();
    // Known before any file names it, so no other store in this process takes it for a
    // previous incarnation's.
    this.#held.add(token);
    try {
      if (await this.#take(lockPath, token)) return token;
    } catch (err) {
      this.#held.delete(token);
      throw err;
    }
    this.#held.delete(token);
    return undefined;
  }

  async #take(lockPath: string, token: string): Promise<boolean> {
    const body = JSON.stringify({ pid: process.pid, host: HOST, token });
    if (await createExclusive(lockPath, body)) return true;
    if (this.isHeld(lockPath)) return false;
    const guard = `${lockPath}.tmp`;
    if (!(await this.#enterGuard(guard, body))) return false;
    try {
      // The guard stops other take-overs, not a plain claim (link) where no lock is: so a
      // lock is removed only when it exists and is judged stale here, never "whatever is
      // there now" (the owner may have released it and another claimant created a fresh one
      // since our first look).
      const text = readQuiet(lockPath);
      if (text !== undefined) {
        if (this.#heldBy(text)) return false;
        await unlinkQuiet(lockPath);
      }
      return await createExclusive(lockPath, body);
    } finally {
      await unlinkQuiet(guard);
    }
  }

  /**
   * Remove `lockPath` if it names a dead owner (gc). Under the take-over guard, so a claimant
   * replacing the same stale lock cannot have its fresh lock deleted by us.
   */
  async removeStale(lockPath: string): Promise<boolean> {
    const token = randomUUID();
    this.#held.add(token);
    try {
      const guard = `${lockPath}.tmp`;
      const body = JSON.stringify({ pid: process.pid, host: HOST, token });
      if (!(await this.#enterGuard(guard, body))) return false;
      try {
        const text = readQuiet(lockPath);
        if (text === undefined || this.#heldBy(text)) return false;
        await unlinkQuiet(lockPath);
        return true;
      } finally {
        await unlinkQuiet(guard);
      }
    } finally {
      this.#held.delete(token);
    }
  }

  /**
   * Take the take-over guard. A guard that vanished since our create failed was released by
   * its owner: try once more, never delete (a third claimant may have just made it). Only a
   * guard whose owner died mid-take-over (or that is very old) is removed, and only while it
   * still holds what was judged.
   */
  async #enterGuard(guard: string, body: string): Promise<boolean> {
    if (await createExclusive(guard, body)) return true;
    const text = readQuiet(guard);
    if (text !== undefined) {
      if (this.#heldBy(text) && ageMs(guard) < GUARD_STALE_MS) return false;
      if (readQuiet(guard) === text) await unlinkQuiet(guard);
    }
    return await createExclusive(guard, body);
  }

  /**
   * Whether the claim temp at `path` was left by a crashed claimant: its content names a dead
   * owner, or (crashed before its write) the pid in its name is dead, or it is older than a
   * live claimant keeps one. Removing a live claimant's temp by mistake costs it a retry only
   * (its `link` fails ENOENT and it writes a new temp), never a wrong lock.
   */
  staleClaimTemp(path: string): boolean {
    const m = CLAIM_TEMP.exec(path);
    if (m === null) return false;
    const text = readQuiet(path);
    if (text === undefined) return false;
    if (ageMs(path) >= GUARD_STALE_MS) return true;
    const owner = parseOwner(text);
    if (owner !== undefined) return !this.#alive(owner);
    const pid = Number(m[1]);
    return pid !== process.pid && !pidAlive(pid);
  }

  /**
   * Remove the stale claim temps in `dir` (a directory's first claim in this process). Best
   * effort: a temp that cannot be listed or removed is left for gc, never fails the claim.
   */
  async sweepClaimTemps(dir: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return; // gone or unreadable: nothing to sweep here
    }
    for (const name of names) {
      const path = join(dir, name);
      if (this.staleClaimTemp(path)) await unlink(path).catch(() => {});
    }
  }

  /** Remove our lock (only if it is still ours). */
  async release(lockPath: string, token: string): Promise<void> {
    this.#held.delete(token);
    try {
      const owner = parseOwner(await readFile(lockPath, "utf8"));
      if (owner?.token === token) await unlink(lockPath);
    } catch (err) {
      if (errCode(err) !== "ENOENT") throw err;
    }
  }
}

function readQuiet(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // gone (or unreadable): nobody holds it through this file
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Create `path` holding `body` unless it exists, never visible partly written: write a unique
 * temp, datasync it, `link` it to `path` (atomic; EEXIST = taken), unlink the temp.
 */
async function createExclusive(path: string, body: string): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    let made = false;
    try {
      const fh = await open(temp, "wx");
      made = true;
      try {
        await fh.writeFile(body);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      try {
        await link(temp, path);
        return true;
      } catch (err) {
        if (errCode(err) === "EEXIST") return false;
        // The temp vanished before the link (a sweeper judged it stale): write a new one. If
        // the directory is gone instead, the next open fails ENOENT and that is thrown.
        if (errCode(err) !== "ENOENT" || attempt >= LINK_RETRIES) throw err;
      }
    } catch (err) {
      // A temp name taken already (astronomically rare): draw another.
      if (made || errCode(err) !== "EEXIST" || attempt >= LINK_RETRIES) throw err;
    } finally {
      if (made) await unlinkQuiet(temp);
    }
  }
}

export async function unlinkQuiet(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errCode(err) !== "ENOENT") throw err;
  }
}
