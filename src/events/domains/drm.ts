import type { ErrorInfo } from "../../core/errors.js";

interface D {
  domain: "drm";
}

/** Key and decryption events (HLS-4). */
export type DrmEvent =
  | (D & { type: "KeyLoaded"; uri: string; cached: boolean })
  | (D & { type: "KeyFailed"; uri: string; error: ErrorInfo })
  | (D & { type: "DecryptFailed"; variant: number; segment: number; attempt: number })
  | (D & { type: "UnsupportedMethod"; method: string });
