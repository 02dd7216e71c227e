/**
 * STORE-1 layout: `<cacheRoot>/<assetRoot>/<resourcePath>`. Every path component we produce
 * is ASCII from `[A-Za-z0-9._~-]`, never `.`/`..`/empty, never starts with `.` (dot names are
 * ours: the index, temp files), at most 96 bytes; so no URL can name a path outside the root.
 */
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { StoreError } from "./errors.js";

export const MAX_COMPONENT = 96;
/** Deeper URL paths fold their tail into one hashed component. */
const MAX_DEPTH = 24;
/** Suffixes the store adds to a resource's file name; a resource name never ends in one. */
const RESERVED_SUFFIX = /\.(part|lock|tmp)$/i;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;
const UNSAFE_CHAR = /[^A-Za-z0-9._-]/g;

export function sha256Hex(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/** Default root: `$XDG_CACHE_HOME/plectrum`, else `~/.cache/plectrum`. */
export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg?.startsWith("/")) return join(xdg, "plectrum");
  return join(homedir(), ".cache", "plectrum");
}

export function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch (cause) {
    throw new StoreError(
      "InvalidUrl",
      `not an absolute URL: ${JSON.stringify(url.slice(0, 200))}`,
      {
        cause,
      },
    );
  }
}

/** STORE-1 [+] default cache key: no fragment, query parameters sorted by name (stable). */
export function defaultCacheKey(url: URL): URL {
  const u = new URL(url.href);
  u.hash = "";
  u.searchParams.sort();
  return u;
}

export type CacheKeyFn = (url: URL) => URL | string;

/** The identity URL of `url` under `cacheKey`, always without fragment and credentials (the
 * index stores it in clear text). */
export function canonicalUrl(url: string, cacheKey: CacheKeyFn = defaultCacheKey): URL {
  const mapped = cacheKey(parseUrl(url));
  const u = typeof mapped === "string" ? parseUrl(mapped) : new URL(mapped.href);
  u.hash = "";
  u.username = "";
  u.password = "";
  return u;
}

/** 32 hex chars of SHA-256 over the canonical asset URL with a domain separator. */
export function assetRootOf(canonical: URL): string {
  return sha256Hex(`plectrum/asset/v1\0${canonical.href}`).slice(0, 32);
}

function shortHash(s: string, n = 8): string {
  return sha256Hex(s).slice(0, n);
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * One portable path component for `raw`, plus a trusted `suffix` (already portable). When
 * sanitising changed anything, a hash of the raw text is appended so distinct inputs stay
 * distinct.
 */
export function portableComponent(raw: string, suffix = ""): string {
  let s = raw.normalize("NFC").replace(UNSAFE_CHAR, "_");
  let altered = s !== raw;
  if (s === "" || s.startsWith(".")) {
    s = `_${s}`;
    altered = true;
  }
  if (WINDOWS_RESERVED.test(s) || (suffix === "" && RESERVED_SUFFIX.test(s))) {
    s = `${s}_`;
    altered = true;
  }
  const budget = MAX_COMPONENT - suffix.length - 9;
  if (s.length + suffix.length > MAX_COMPONENT) {
    s = s.slice(0, budget);
    altered = true;
  }
  return `${altered ? `${s}~${shortHash(raw)}` : s}${suffix}`;
}

/**
 * Relative resource path: `<host>[_port]/<path components>`, the file name gaining `~q<hash>`
 * for a query and `~b<start>-<end>` for a byte range. `name` replaces the URL path.
 */
export function resourcePath(
  canonical: URL,
  options: {
    name?: string | undefined;
    byteRange?: { start: number; end: number } | undefined;
  } = {},
): string {
  const host =
    canonical.host !== "" ? canonical.host.replace(":", "_") : canonical.protocol.replace(":", "");
  const rawPath = options.name ?? canonical.pathname;
  let parts = rawPath
    .split(/[/\\]/)
    .filter((p) => p !== "")
    .map(decodeComponent);
  const dirIndex = parts.length === 0 || /[/\\]$/.test(rawPath);
  if (parts.length > MAX_DEPTH) {
    const tail = parts.slice(MAX_DEPTH - 1).join("/");
    parts = [...parts.slice(0, MAX_DEPTH - 1), `deep~${shortHash(tail, 16)}`];
  }
  // A directory URL's file is `~index`: sanitised raw text never starts with `~`.
  const last = dirIndex ? undefined : parts.pop();
  let suffix = "";
  if (canonical.search !== "" && options.name === undefined)
    suffix += `~q${shortHash(canonical.search)}`;
  const br = options.byteRange;
  if (br !== undefined) {
    if (
      !Number.isSafeInteger(br.start) ||
      !Number.isSafeInteger(br.end) ||
      br.start < 0 ||
      br.end <= br.start
    )
      throw new StoreError("InvalidUrl", `invalid byte range [${br.start}, ${br.end})`);
    suffix += `~b${br.start}-${br.end}`;
  }
  return [
    portableComponent(host),
    ...parts.map((p) => portableComponent(p)),
    last === undefined ? `~index${suffix}` : portableComponent(last, suffix),
  ].join("/");
}
