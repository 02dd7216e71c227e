/** plectrum's public API: named exports only. */
export * from "./abr/index.js";
export * from "./core/index.js";
export * from "./dl/index.js";
export * from "./events/index.js";
export * from "./file/index.js";
export * from "./hls/index.js";
export * from "./net/index.js";
export * from "./resource/index.js";
export * from "./store/index.js";
