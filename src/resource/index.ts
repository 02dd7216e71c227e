export * from "./errors.js";
export * from "./resource.js";
export type * from "./types.js";
export * from "./views.js";
