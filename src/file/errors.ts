import { PlectrumError } from "../core/errors.js";

/**
 * A progressive resource could not be read: the download failed for good (the cause is the
 * `NetError` or store error), the path does not exist, or the reader was closed.
 * Codes: `FILE_FAILED`, `FILE_NOT_FOUND`, `FILE_CLOSED`, `FILE_BAD_ARGUMENT`.
 */
export class FileError extends PlectrumError {
  readonly url: string;
  /** The content-type of the response that failed, when one arrived (RES-1 routing). */
  contentType: string | undefined;
  constructor(
    code: "FILE_FAILED" | "FILE_NOT_FOUND" | "FILE_CLOSED" | "FILE_BAD_ARGUMENT",
    url: string,
    message: string,
    cause?: unknown,
  ) {
    super(code, message, { cause });
    this.url = url;
  }
}

/** Validate a byte offset or range bound given by a caller. */
export function checkOffset(url: string, value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new FileError(
      "FILE_BAD_ARGUMENT",
      url,
      `${what} must be a non-negative integer, got ${value}`,
    );
}
