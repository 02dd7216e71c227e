export * from "./checks.js";
export * from "./errors.js";
export * from "./local.js";
export * from "./open.js";
export * from "./plan.js";
export type { FileSource, SourceOptions } from "./source.js";
export type * from "./types.js";
