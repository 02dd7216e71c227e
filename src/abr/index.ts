export { AbrController, type AbrSettings, createAbrController } from "./controller.js";
export { AbrError, type AbrErrorCode } from "./errors.js";
export { type EstimatorOptions, Ewma, ThroughputEstimator } from "./estimator.js";
export { AbrPeerControl } from "./peer-control.js";
export { DEFAULT_POLICY_NAME, POLICIES, type PolicyName, resolvePolicy } from "./policies/index.js";
export type { AbrPolicy, AbrView, PolicyDecision } from "./policy.js";
export type { AbrClaim, ClaimResult } from "./state.js";
export type * from "./types.js";
