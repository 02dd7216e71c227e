import { PlectrumError } from "../core/errors.js";

export type StoreErrorKind =
  /** The URL cannot be parsed or mapped to a resource path. */
  | "InvalidUrl"
  /** Another live writer holds the claim, or the resource/asset is pinned. */
  | "Busy"
  /** The requested bytes are not present. */
  | "NotAvailable"
  /** A length or write contradicts the known final length. */
  | "LengthMismatch"
  /** Commit of a resource whose length is unknown or with a gap. */
  | "Incomplete"
  /** The store, writer or reader is closed. */
  | "Closed"
  /** A resource path collides with another resource's directory (or vice versa). */
  | "PathConflict"
  /** A filesystem operation failed. */
  | "Io";

/** Every asset-store failure (CORE-3): `code` = `STORE_<KIND>`. */
export class StoreError extends PlectrumError {
  readonly kind: StoreErrorKind;
  constructor(kind: StoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(`STORE_${kind.toUpperCase()}`, message, options);
    this.kind = kind;
  }
}
