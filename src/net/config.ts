/** NetConfig defaults (NET-2, NET-4, NET-5, NET-12) and their resolution. */
import { systemClock } from "../core/clock.js";
import type { NetConfig } from "./types.js";

export const DEFAULT_NET_CONFIG: Readonly<NetConfig> = {
  inactivityTimeoutMs: 30_000,
  totalDeadlineMs: undefined,
  maxRetries: 3,
  backoffBaseMs: 100,
  backoffMaxMs: 5_000,
  jitter: 0.25,
  maxRetryAfterMs: 10_000,
  maxBodyBytes: 16 * 1024 * 1024,
  maxRedirects: 5,
  clock: systemClock,
  random: Math.random,
};

function assertCount(name: string, v: number, allowZero: boolean): void {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new RangeError(
      `NetConfig.${name} must be a ${allowZero ? "non-negative" : "positive"} number, got ${v}`,
    );
  }
}

export function resolveNetConfig(partial: Partial<NetConfig> = {}): NetConfig {
  const cfg: NetConfig = { ...DEFAULT_NET_CONFIG };
  for (const [k, v] of Object.entries(partial)) {
    if (v !== undefined) (cfg as unknown as Record<string, unknown>)[k] = v;
  }
  assertCount("inactivityTimeoutMs", cfg.inactivityTimeoutMs, false);
  if (cfg.totalDeadlineMs !== undefined) assertCount("totalDeadlineMs", cfg.totalDeadlineMs, false);
  assertCount("maxRetries", cfg.maxRetries, true);
  assertCount("backoffBaseMs", cfg.backoffBaseMs, true);
  assertCount("backoffMaxMs", cfg.backoffMaxMs, true);
  assertCount("maxRetryAfterMs", cfg.maxRetryAfterMs, true);
  assertCount("maxBodyBytes", cfg.maxBodyBytes, true);
  assertCount("maxRedirects", cfg.maxRedirects, true);
  if (!(cfg.jitter >= 0 && cfg.jitter < 1)) {
    throw new RangeError(`NetConfig.jitter must be in [0, 1), got ${cfg.jitter}`);
  }
  return cfg;
}
