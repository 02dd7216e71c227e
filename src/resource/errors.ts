import { PlectrumError } from "../core/errors.js";

/**
 * `open()` was given something it cannot serve: a URL scheme it does not read, or a kind of
 * stream whose peer is not available (code `RES_UNSUPPORTED`).
 */
export class UnsupportedResourceError extends PlectrumError {
  readonly url: string;
  constructor(url: string, reason: string) {
    super("RES_UNSUPPORTED", `cannot open ${url}: ${reason}`);
    this.url = url;
  }
}
