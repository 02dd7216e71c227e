export { type Aes128Cbc, nodeAes128, sequenceIv, webCryptoAes128 } from "./aes.js";
export type { HlsAbr, HlsAbrControl, HlsDownloader, HlsPeerHandle, HlsStore } from "./deps.js";
export {
  type DownloadHlsOptions,
  type DownloadHlsResult,
  downloadHls,
  type HlsProgress,
} from "./download.js";
export {
  DecryptError,
  HlsUnsupportedError,
  KeyError,
  PlaylistError,
  SegmentError,
} from "./errors.js";
export { type ExportOptions, type ExportResult, exportHls, variantEntries } from "./export.js";
export { KeyCache, type KeyFetch } from "./keys.js";
export { loadPlaylist } from "./loader.js";
export type * from "./model.js";
export { DEFAULT_PLAYLIST_LIMITS, type PlaylistLimits, parsePlaylist } from "./parse.js";
export { HlsPeer, type HlsPeerOptions, type PlanEntry } from "./peer.js";
export {
  HlsByteSource,
  isHlsUrl,
  openHls,
  type VariantNotice,
} from "./source.js";
