import type { ErrorInfo } from "../../core/errors.js";

interface H {
  domain: "hls";
}

/** HLS peer events (HLS-*). */
export type HlsEvent =
  | (H & {
      type: "PlaylistLoaded";
      url: string;
      kind: "master" | "media";
      variants?: number;
      segments?: number;
      live?: boolean;
    })
  | (H & { type: "SegmentStarted"; variant: number; segment: number; url: string })
  | (H & {
      type: "SegmentLoaded";
      variant: number;
      segment: number;
      bytes: number;
      cached: boolean;
    })
  | (H & { type: "SegmentSlow"; variant: number; segment: number })
  | (H & { type: "SegmentRetry"; variant: number; segment: number; error: ErrorInfo })
  | (H & { type: "SegmentFailed"; variant: number; segment: number; error: ErrorInfo })
  | (H & { type: "VariantChanged"; from: number; to: number; atSegment: number })
  | (H & { type: "Seek"; epoch: number; segment: number; position: number })
  | (H & { type: "LiveReload"; url: string; changed: boolean; mediaSequence: number })
  | (H & { type: "SegmentsMissed"; variant: number; count: number; fromSequence: number })
  | (H & { type: "EndOfStream"; variant: number; segments: number })
  | (H & { type: "Exported"; path: string; files: number; bytes: number })
  | (H & { type: "Error"; error: ErrorInfo });
