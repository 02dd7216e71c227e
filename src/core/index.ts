export * from "./cancel.js";
export * from "./clock.js";
export * from "./errors.js";
export * from "./lending.js";
export * from "./ranges.js";
