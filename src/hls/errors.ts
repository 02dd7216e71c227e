/** Typed errors of the HLS layer (HLS-1, HLS-4). */
import { PlectrumError } from "../core/errors.js";

/** A playlist that cannot be used: malformed, oversized, or violating a limit (HLS-1). */
export class PlaylistError extends PlectrumError {
  /** 1-based line of the offending input, `null` when the parser did not say. */
  readonly line: number | null;
  readonly reason: string;
  readonly url: string;

  constructor(url: string, line: number | null, reason: string, options?: { cause?: unknown }) {
    super(
      "HLS_PLAYLIST",
      `invalid playlist ${url}${line === null ? "" : ` (line ${line})`}: ${reason}`,
      options,
    );
    this.line = line;
    this.reason = reason;
    this.url = url;
  }
}

/** A feature we refuse rather than pass through: SAMPLE-AES, key formats, ... (HLS-4 [+]). */
export class HlsUnsupportedError extends PlectrumError {
  readonly feature: string;
  constructor(feature: string, message: string) {
    super("HLS_UNSUPPORTED", message);
    this.feature = feature;
  }
}

/** A key that cannot be used: wrong length, HTML page, fetch failure (HLS-4). */
export class KeyError extends PlectrumError {
  readonly uri: string;
  constructor(uri: string, message: string, options?: { cause?: unknown }) {
    super("HLS_KEY", `key ${uri}: ${message}`, options);
    this.uri = uri;
  }
}

/** AES-128 decryption failed (bad padding, wrong length) (HLS-4). */
export class DecryptError extends PlectrumError {
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super("HLS_DECRYPT", `decrypting ${url}: ${message}`, options);
    this.url = url;
  }
}

/** A segment that failed for good (HLS-7). */
export class SegmentError extends PlectrumError {
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super("HLS_SEGMENT", `segment ${url}: ${message}`, options);
    this.url = url;
  }
}
