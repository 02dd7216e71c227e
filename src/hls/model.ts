/**
 * Our typed playlist model (HLS-1..3). Everything is resolved: absolute URLs, absolute
 * byte offsets, start times. Nothing of `hls-parser`'s shapes leaks past `parse.ts`.
 */

/** A byte sub-range of a resource: `[offset, offset + length)`. */
export interface ByteSpan {
  offset: number;
  length: number;
}

/** An AES-128 key reference (HLS-4). Other methods are rejected when the playlist is used. */
export interface SegmentKey {
  method: "AES-128";
  /** Absolute key URL. */
  uri: string;
  /** Explicit IV, else `null` (the media sequence number is used). */
  iv: Uint8Array | null;
}

/** An `EXT-X-MAP` init section (HLS-3). */
export interface InitSection {
  url: string;
  range: ByteSpan | null;
  key: SegmentKey | null;
}

export interface MediaSegment {
  /** Position in this playlist, from 0. */
  index: number;
  /** Media sequence number (HLS-12 follows the window by it). */
  sequence: number;
  url: string;
  range: ByteSpan | null;
  duration: number;
  /** Playback start time in seconds from the playlist's first segment. */
  start: number;
  discontinuity: boolean;
  discontinuitySequence: number;
  key: SegmentKey | null;
  init: InitSection | null;
}

/** A key method we do not decrypt; kept so the peer can fail with a clear error. */
export interface UnsupportedKey {
  method: string;
  /** Index of the first segment it applies to. */
  firstSegment: number;
  keyFormat: string | null;
}

export interface MediaPlaylist {
  kind: "media";
  /** Final URL (after redirects) every relative URI was resolved against. */
  url: string;
  targetDuration: number;
  mediaSequence: number;
  /** `EXT-X-ENDLIST` present: VOD or a finished live stream. */
  endList: boolean;
  playlistType: "VOD" | "EVENT" | null;
  segments: MediaSegment[];
  totalDuration: number;
  /** Key methods present that we refuse (SAMPLE-AES, ...). Empty for usable playlists. */
  unsupportedKeys: UnsupportedKey[];
  /** Non-fatal spec violations the lenient parse accepted. */
  warnings: string[];
}

/** A variant stream (`EXT-X-STREAM-INF`, HLS-2). I-frame playlists are excluded. */
export interface Variant {
  /** Index in `MasterPlaylist.variants` (the ABR variant index). */
  index: number;
  url: string;
  bandwidth: number;
  averageBandwidth: number | null;
  codecs: string | null;
  resolution: { width: number; height: number } | null;
  audioGroup: string | null;
  name: string;
}

/** An `EXT-X-MEDIA TYPE=AUDIO` rendition (HLS-2 [+]). */
export interface AudioRendition {
  groupId: string;
  name: string;
  language: string | null;
  /** Absolute URL of its media playlist; `null` when the audio is muxed into the variant. */
  url: string | null;
  isDefault: boolean;
  autoselect: boolean;
  channels: string | null;
}

export interface MasterPlaylist {
  kind: "master";
  url: string;
  variants: Variant[];
  audio: AudioRendition[];
  warnings: string[];
}

export type Playlist = MasterPlaylist | MediaPlaylist;
