import { PlectrumError } from "../core/errors.js";

/** `register` (or any new work) on a downloader that is closing or closed (DL-17). */
export class DownloaderClosedError extends PlectrumError {
  constructor() {
    super("DL_CLOSED", "the downloader is closed; create a new one to register peers");
  }
}

/** An invalid `DownloaderOptions` value (DL-1). */
export class DownloaderConfigError extends PlectrumError {
  constructor(message: string) {
    super("DL_CONFIG", message);
  }
}
