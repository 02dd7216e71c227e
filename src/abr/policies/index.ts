/** The shipped policies (ABR-9) and the default (the BENCH-6 winner). */
import { AbrError } from "../errors.js";
import type { AbrPolicy } from "../policy.js";
import { bolaPolicy } from "./bola.js";
import { classicPolicy } from "./classic.js";
import { mpcPolicy } from "./mpc.js";

export const POLICIES = {
  classic: classicPolicy,
  bola: bolaPolicy(),
  mpc: mpcPolicy(),
} as const satisfies Record<string, AbrPolicy>;

export type PolicyName = keyof typeof POLICIES;

export const DEFAULT_POLICY_NAME: PolicyName = "mpc";

export function resolvePolicy(policy: AbrPolicy | PolicyName | undefined): AbrPolicy {
  if (policy === undefined) return POLICIES[DEFAULT_POLICY_NAME];
  if (typeof policy !== "string") return policy;
  const found = (POLICIES as Record<string, AbrPolicy>)[policy];
  if (!found) throw new AbrError("ABR_UNKNOWN_VARIANT", `unknown ABR policy "${policy}"`);
  return found;
}
