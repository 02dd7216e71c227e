/**
 * Writer claims across processes (STORE-2): `<path>.lock` created with O_EXCL holding
 * `{pid, host, token}`. A lock whose owner is dead (same host, `kill(pid, 0)` = ESRCH; or our
 * own pid with a token this process never issued, i.e. a previous incarnation) is stale and is
 * taken over. Take-overs are serialised through `<path>.lock.tmp` (same content) so two
 * claimants can never both delete and recreate the lock; a guard left by a dead claimant is
 * itself stale at once, any guard after 10 s.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { readFile, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";

interface Owner {
  pid: number;
  host: string;
  token: string;
}

/** A take-over guard older than this belongs to a claimant that crashed mid-take-over. */
const GUARD_STALE_MS = 10_000;
/** A lock with unreadable content younger than this is probably still being written. */
const FRESH_MS = 2_000;

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
    return text !== undefined && this.#heldBy(lockPath, text);
  }

  /** Whether `text`, read from `path`, names a live owner (or is too fresh to judge). */
  #heldBy(path: string, text: string): boolean {
    const owner = parseOwner(text);
    if (owner === undefined) return ageMs(path) < FRESH_MS;
    return this.#alive(owner);
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
      // The guard stops other take-overs, not a plain O_EXCL create where no lock is: so a
      // lock is removed only when it exists and is judged stale here, never "whatever is
      // there now" (the owner may have released it and another claimant created a fresh one
      // since our first look).
      const text = readQuiet(lockPath);
      if (text !== undefined) {
        if (this.#heldBy(lockPath, text)) return false;
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
        if (text === undefined || this.#heldBy(lockPath, text)) return false;
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
      if (this.#heldBy(guard, text) && ageMs(guard) < GUARD_STALE_MS) return false;
      if (readQuiet(guard) === text) await unlinkQuiet(guard);
    }
    return await createExclusive(guard, body);
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

async function createExclusive(path: string, body: string): Promise<boolean> {
  try {
    await writeFile(path, body, { flag: "wx" });
    return true;
  } catch (err) {
    if (errCode(err) === "EEXIST") return false;
    throw err;
  }
}

export async function unlinkQuiet(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errCode(err) !== "ENOENT") throw err;
  }
}
