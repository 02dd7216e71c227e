export * from "./checks.js";
export * from "./errors.js";
export * from "./local.js";
export * from "./plan.js";
