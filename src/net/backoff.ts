/** Retry delays (NET-4), jitter and Retry-After (NET-5). */
import type { NetConfig } from "./types.js";

/** Delay before retry `n` (0-based): 0 for n = 0, else min(base * 2^(n-1), max), jittered. */
export function retryDelay(n: number, cfg: NetConfig): number {
  if (n <= 0) return 0;
  const raw = Math.min(cfg.backoffBaseMs * 2 ** (n - 1), cfg.backoffMaxMs);
  if (raw === 0 || cfg.jitter === 0) return raw;
  const factor = 1 - cfg.jitter + 2 * cfg.jitter * cfg.random();
  return raw * factor;
}

/**
 * `Retry-After` as milliseconds: delta-seconds or an HTTP date (relative to the wall clock).
 * `undefined` when absent or unparseable.
 */
export function parseRetryAfter(
  value: string | undefined,
  wallNow = Date.now(),
): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - wallNow);
}
