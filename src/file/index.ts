export { isHlsContentType } from "./checks.js";
export { FileError } from "./errors.js";
export { isLocalPath, LocalFileSource } from "./local.js";
export { openProgressive } from "./open.js";
export type { FileSource, SourceOptions } from "./source.js";
export type * from "./types.js";
