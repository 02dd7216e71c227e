import type { ErrorInfo } from "../../core/errors.js";

interface F {
  domain: "file";
  url: string;
}

/** Progressive-download events (FILE-7). */
export type FileEvent =
  | (F & { type: "Opened"; cached: boolean })
  | (F & { type: "TotalBytesResolved"; total: number })
  | (F & { type: "Progress"; downloaded: number; total: number | null })
  | (F & { type: "CacheComplete"; total: number })
  | (F & { type: "Error"; error: ErrorInfo });
