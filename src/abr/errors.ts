/** Typed ABR errors (CORE-3): bad manual index, unknown peer, unbalanced unlock. */
import { PlectrumError } from "../core/errors.js";

export type AbrErrorCode = "ABR_UNKNOWN_VARIANT" | "ABR_UNKNOWN_PEER" | "ABR_UNBALANCED_UNLOCK";

export class AbrError extends PlectrumError {
  constructor(code: AbrErrorCode, message: string) {
    super(code, message);
  }
}
