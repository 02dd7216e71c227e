export type { DownloaderOptions, PreemptOptions } from "./config.js";
export { DEFAULTS as DOWNLOADER_DEFAULTS } from "./config.js";
export type { DownloaderSnapshot, RegisterOptions } from "./downloader.js";
export { Downloader } from "./downloader.js";
export { DownloaderClosedError, DownloaderConfigError } from "./errors.js";
export { PeerHandle } from "./peer-handle.js";
export type * from "./types.js";
