/**
 * Typed errors (CORE-3). Every error plectrum raises is a `PlectrumError`; network-layer
 * failures are `NetError` with a `kind` and a retryability verdict (NET-3).
 */

/** Base class of every error plectrum raises. `code` is stable and machine-readable. */
export class PlectrumError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export type NetErrorKind =
  | "Timeout"
  | "Network"
  | "Status"
  | "Decode"
  | "Cancelled"
  | "RetryExhausted"
  | "InvalidContentType"
  | "TooLarge"
  | "Unsupported";

export interface NetErrorInit {
  url?: string | undefined;
  status?: number | undefined;
  /** Status errors: the first 200 characters of the body plus a truncation note (NET-8). */
  body?: string | undefined;
  /** RetryExhausted: the retry budget that was spent. */
  maxRetries?: number | undefined;
  cause?: unknown;
}

/** An HTTP-layer failure. `retryable` is the NET-3 verdict. */
export class NetError extends PlectrumError {
  readonly kind: NetErrorKind;
  readonly url: string | undefined;
  readonly status: number | undefined;
  readonly body: string | undefined;
  readonly maxRetries: number | undefined;

  constructor(kind: NetErrorKind, message: string, init: NetErrorInit = {}) {
    super(`NET_${kind.toUpperCase()}`, message, { cause: init.cause });
    this.kind = kind;
    this.url = init.url;
    this.status = init.status;
    this.body = init.body;
    this.maxRetries = init.maxRetries;
  }

  /** NET-3: transient = Timeout, Network, 5xx, 429, 408. Everything else is fatal. */
  get retryable(): boolean {
    return isTransient(this.kind, this.status);
  }
}

export function isTransient(kind: NetErrorKind, status?: number): boolean {
  if (kind === "Timeout" || kind === "Network") return true;
  if (kind === "Status" && status !== undefined) {
    return status >= 500 || status === 429 || status === 408;
  }
  return false;
}

/** True for any error that NET-3 calls transient. Non-NetErrors are fatal. */
export function isRetryable(err: unknown): boolean {
  return err instanceof NetError && err.retryable;
}

export function isCancelled(err: unknown): boolean {
  return err instanceof NetError && err.kind === "Cancelled";
}

export function cancelledError(url?: string, cause?: unknown): NetError {
  return new NetError("Cancelled", url ? `request cancelled: ${url}` : "cancelled", { url, cause });
}

/** Plain, JSON-safe description of an error, for events (EVT-4) and CLI output. */
export interface ErrorInfo {
  name: string;
  code: string;
  message: string;
  kind?: string;
  status?: number;
  url?: string;
  retryable: boolean;
}

export function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof NetError) {
    const info: ErrorInfo = {
      name: err.name,
      code: err.code,
      message: err.message,
      kind: err.kind,
      retryable: err.retryable,
    };
    if (err.status !== undefined) info.status = err.status;
    if (err.url !== undefined) info.url = err.url;
    return info;
  }
  if (err instanceof PlectrumError) {
    return { name: err.name, code: err.code, message: err.message, retryable: false };
  }
  if (err instanceof Error) {
    return { name: err.name, code: "UNKNOWN", message: err.message, retryable: false };
  }
  return { name: "Error", code: "UNKNOWN", message: String(err), retryable: false };
}
