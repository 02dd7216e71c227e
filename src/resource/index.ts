export * from "./errors.js";
export * from "./open.js";
export * from "./resource.js";
export type * from "./types.js";
export * from "./views.js";
