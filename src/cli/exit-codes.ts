/**
 * CLI-5: one exit code per error class, and one clear line per failure (what failed, which
 * URL, what to try). Stack traces are printed only with `--verbose` (see `main.ts`).
 */
import { NetError, PlectrumError } from "../core/errors.js";

/** Exit codes of `plectrum` (documented in `--help` and the README). */
export const ExitCode = {
  Ok: 0,
  /** A bug or an error no other class covers. */
  Internal: 1,
  /** Bad command line: unknown option, missing argument, invalid value. */
  Usage: 2,
  /** Could not reach the server: DNS, refused, reset, timeout, retries exhausted. */
  Network: 3,
  /** The server answered with an HTTP error status (4xx/5xx) or an HTML page. */
  HttpStatus: 4,
  /** The media is invalid or unsupported: bad playlist, unsupported encryption, decrypt failure. */
  Media: 5,
  /** The local cache or output failed: permissions, disk full, corrupt entries. */
  Storage: 6,
  /** Refused by policy: a non-http(s) target, a request from a non-loopback host. */
  Refused: 7,
  /** Interrupted by SIGINT/SIGTERM. */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit-code table as shown by `--help` and the README. */
export const EXIT_CODE_HELP = `Exit codes:
  0    success
  1    internal error (a bug: please report it with --verbose output)
  2    usage error (bad option or argument)
  3    network error (unreachable, reset, timed out, retries exhausted)
  4    HTTP error status from the server (4xx/5xx) or an HTML page instead of media
  5    media error (invalid playlist, unsupported encryption, decrypt failure)
  6    storage error (cache dir or output not writable, disk full, corrupt cache)
  7    refused (non-http(s) target, or a request from a non-loopback host)
  130  interrupted (Ctrl-C)`;

/** A failure raised by the CLI itself, carrying its exit class and a hint. */
export class CliError extends PlectrumError {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly url: string | undefined;
  constructor(
    exitCode: ExitCode,
    message: string,
    options: { hint?: string; url?: string; cause?: unknown } = {},
  ) {
    super(`CLI_${exitName(exitCode)}`, message, { cause: options.cause });
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.url = options.url;
  }
}

function exitName(code: ExitCode): string {
  for (const [name, value] of Object.entries(ExitCode)) {
    if (value === code) return name.toUpperCase();
  }
  return "INTERNAL";
}

/** How a failure is reported: its exit code and the one line the user sees. */
export interface Classified {
  exitCode: ExitCode;
  line: string;
}

const STORAGE_ERRNO = new Set([
  "EACCES",
  "EPERM",
  "ENOSPC",
  "EROFS",
  "EDQUOT",
  "EISDIR",
  "ENOTDIR",
]);
const MEDIA_NAME = /playlist|hls|decrypt|drm|unsupported|media/i;
const STORAGE_NAME = /store|cache|asset|lock/i;

/** Map any thrown value to an exit code and a one-line message (CLI-5). */
export function classify(err: unknown, context: { url?: string } = {}): Classified {
  const { exitCode, hint } = codeAndHint(err);
  const url = errorUrl(err) ?? context.url;
  const message = err instanceof Error ? err.message : String(err);
  const where = url !== undefined && !message.includes(url) ? ` (${url})` : "";
  const tryThis = hint !== undefined ? `; try: ${hint}` : "";
  return { exitCode, line: `plectrum: ${oneLine(message)}${where}${tryThis}` };
}

function codeAndHint(err: unknown): { exitCode: ExitCode; hint?: string } {
  if (err instanceof CliError) {
    return err.hint !== undefined
      ? { exitCode: err.exitCode, hint: err.hint }
      : { exitCode: err.exitCode };
  }
  const net = netCause(err);
  if (net) return netCodeAndHint(net);
  const errno = (err as { code?: unknown } | null)?.code;
  if (typeof errno === "string" && STORAGE_ERRNO.has(errno)) {
    return {
      exitCode: ExitCode.Storage,
      hint: "check that --cache-dir and -o are writable and the disk has space",
    };
  }
  if (err instanceof PlectrumError) {
    const id = `${err.name} ${err.code}`;
    if (MEDIA_NAME.test(id)) {
      return {
        exitCode: ExitCode.Media,
        hint: "check that the URL is a playable HLS stream or media file; --verbose shows details",
      };
    }
    if (STORAGE_NAME.test(id)) {
      return {
        exitCode: ExitCode.Storage,
        hint: "run `plectrum cache verify`, or use another --cache-dir",
      };
    }
  }
  return { exitCode: ExitCode.Internal, hint: "re-run with --verbose and report the output" };
}

function netCodeAndHint(err: NetError): { exitCode: ExitCode; hint: string } {
  switch (err.kind) {
    case "Status": {
      const s = err.status ?? 0;
      if (s === 401 || s === 403) {
        return {
          exitCode: ExitCode.HttpStatus,
          hint: "the URL may need authorisation or may have expired; get a fresh URL",
        };
      }
      if (s === 404 || s === 410)
        return { exitCode: ExitCode.HttpStatus, hint: "check the URL for typos" };
      return { exitCode: ExitCode.HttpStatus, hint: "the server failed; retry later" };
    }
    case "InvalidContentType":
      return {
        exitCode: ExitCode.HttpStatus,
        hint: "the server sent an HTML page, not media; open the URL in a browser to see why",
      };
    case "Unsupported":
      return { exitCode: ExitCode.Media, hint: "this kind of URL or response is not supported" };
    case "Decode":
    case "TooLarge":
      return {
        exitCode: ExitCode.Media,
        hint: "the server's response is malformed; --verbose shows details",
      };
    case "Cancelled":
      return {
        exitCode: ExitCode.Interrupted,
        hint: "run the command again to resume from the cache",
      };
    default:
      return {
        exitCode: ExitCode.Network,
        hint: "check the URL and your connection, then run the command again (it resumes from the cache)",
      };
  }
}

/** The error itself or the first `NetError` in its `cause` chain (layers wrap net failures). */
export function netCause(err: unknown): NetError | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && e instanceof Error; depth++) {
    if (e instanceof NetError) return e;
    if (e instanceof CliError) return undefined;
    e = e.cause;
  }
  return undefined;
}

function errorUrl(err: unknown): string | undefined {
  if (err instanceof NetError || err instanceof CliError) return err.url;
  const url = (err as { url?: unknown } | null)?.url;
  return typeof url === "string" ? url : undefined;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}
