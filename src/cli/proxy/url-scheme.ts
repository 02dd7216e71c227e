/**
 * The proxy's URL scheme (CLI-2).
 *
 * - Entry point for people and players: `http://HOST:PORT/proxy?url=<percent-encoded URL>`.
 * - What rewritten playlists point at: `http://HOST:PORT/r/<base64url(URL)>/<file name>`. The
 *   trailing file name is the upstream one, unused for routing; it keeps the extension that
 *   players (ffmpeg's HLS demuxer among them) look at, and makes logs readable.
 *
 * Both forms carry the absolute upstream URL; only http(s) targets are accepted.
 */
import { CliError, ExitCode } from "../exit-codes.js";

const ROUTE_PREFIX = "/r/";

/** The proxy URL for `target` on a proxy whose origin is `origin` (`http://127.0.0.1:8787`). */
export function proxyUrl(origin: string, target: string): string {
  const token = Buffer.from(target, "utf8").toString("base64url");
  return `${origin}${ROUTE_PREFIX}${token}/${fileName(target)}`;
}

/** The entry-point URL for a person or player: `/proxy?url=...`. */
export function entryUrl(origin: string, target: string): string {
  return `${origin}/proxy?url=${encodeURIComponent(target)}`;
}

/** Last path component of a URL, made safe for a path segment (never empty). */
function fileName(target: string): string {
  let last = "";
  try {
    last = new URL(target).pathname.split("/").at(-1) ?? "";
  } catch {
    last = "";
  }
  const safe = last.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 96);
  return safe === "" ? "index" : safe;
}

/**
 * The upstream URL a proxy request asks for, or `undefined` when the path is not a proxy
 * route. Throws `CliError(Refused)` for a target that is not an absolute http(s) URL.
 */
export function targetOf(pathAndQuery: string): string | undefined {
  const u = new URL(pathAndQuery, "http://proxy.invalid");
  let raw: string | null | undefined;
  if (u.pathname === "/proxy") raw = u.searchParams.get("url");
  else if (u.pathname.startsWith(ROUTE_PREFIX)) {
    const token = u.pathname.slice(ROUTE_PREFIX.length).split("/")[0] ?? "";
    raw = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, "base64url").toString("utf8") : null;
  } else return undefined;
  if (raw === null || raw === undefined || raw === "") {
    throw new CliError(ExitCode.Usage, "the proxy request names no target URL", {
      hint: "use /proxy?url=<percent-encoded http(s) URL>",
    });
  }
  return checkTarget(raw);
}

/** Accept only absolute http(s) URLs (CLI-2); returns the normalised URL. */
export function checkTarget(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(
      ExitCode.Refused,
      `not an absolute URL: ${JSON.stringify(raw.slice(0, 200))}`,
      {
        hint: "pass a full http:// or https:// URL",
      },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(
      ExitCode.Refused,
      `refusing a ${url.protocol} target: only http(s) URLs are allowed`,
      {
        url: raw.slice(0, 200),
        hint: "pass an http:// or https:// URL",
      },
    );
  }
  url.hash = "";
  return url.href;
}
