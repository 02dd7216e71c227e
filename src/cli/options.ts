/** Option value parsers and the typed option bags of each command (CLI-1..4). */
import { InvalidArgumentError } from "@commander-js/extra-typings";

/** `--variant`: a variant index, or `best` / `worst`. */
export type VariantChoice = number | "best" | "worst";

export function parseVariant(value: string): VariantChoice {
  if (value === "best" || value === "worst") return value;
  if (/^\d+$/.test(value)) return Number(value);
  throw new InvalidArgumentError("expected a variant index (0, 1, ...), `best` or `worst`");
}

/** Bit rates: `256000`, `256k`, `1.5M` (decimal units, bits per second). */
export function parseBitrate(value: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError("expected bits per second, e.g. 256000, 256k or 1.5M");
  const unit = { "": 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  const bps = Math.round(Number(m[1]) * unit);
  if (bps <= 0) throw new InvalidArgumentError("the bit rate must be positive");
  return bps;
}

export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError("expected a positive integer");
  }
  return Number(value);
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new InvalidArgumentError("expected a port number 0-65535 (0 = any free port)");
  }
  return n;
}

/** Output flags shared by every command. */
export interface OutputFlags {
  json?: boolean | undefined;
  quiet?: boolean | undefined;
  verbose?: boolean | undefined;
}

export interface GetOptions extends OutputFlags {
  output?: string | undefined;
  variant?: VariantChoice | undefined;
  maxBitrate?: number | undefined;
  abr?: "auto" | undefined;
  concurrency?: number | undefined;
  cacheDir?: string | undefined;
  events?: string | undefined;
}

export interface ServeOptions extends OutputFlags {
  host: string;
  port: number;
  allowRemote?: boolean | undefined;
  prefetch: number;
  concurrency?: number | undefined;
  cacheDir?: string | undefined;
  events?: string | undefined;
}

export interface CacheOptions extends OutputFlags {
  cacheDir?: string | undefined;
}

export interface GcOptions extends CacheOptions {
  maxBytes?: number | undefined;
  maxAssets?: number | undefined;
}

export interface DemoOptions extends OutputFlags {
  output?: string | undefined;
  cacheDir?: string | undefined;
  events?: string | undefined;
}
