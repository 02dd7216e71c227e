import type { ErrorInfo } from "../../core/errors.js";

/** Peer priority (DL-2) and command priority (DL-3). */
export type Priority = "high" | "low";

/** Why a command was cancelled (DL-14, DL-16). */
export type CancelReason =
  | "DownloaderShutdown"
  | "PeerCancel"
  | "EpochCancel"
  | "BeforeStart"
  | "Preempted";

interface Req {
  domain: "downloader";
  requestId: number;
  peerId: number;
}

/** Downloader lifecycle events (DL-13 and friends), published on the peer's bus. */
export type DownloaderEvent =
  | (Req & { type: "RequestEnqueued"; url: string; method: "GET" | "HEAD"; priority: Priority })
  | (Req & { type: "RequestStarted"; waitInQueue: number })
  | (Req & { type: "FirstByte"; ttfb: number; status: number; partial: boolean })
  | (Req & {
      type: "RequestRetrying";
      attempt: number;
      maxRetries: number;
      error: ErrorInfo;
      backoff: number;
    })
  | (Req & { type: "BodyStalled"; consumed: number; expected: number | null; stall: number })
  | (Req & {
      type: "BodyResumed";
      resumeNumber: number;
      fromOffset: number;
      honouredRange: boolean;
    })
  | (Req & { type: "RetryExhausted"; maxRetries: number; consumed: number; error: ErrorInfo })
  | (Req & { type: "LoadSlow"; elapsed: number })
  | (Req & { type: "RequestCompleted"; bytes: number; duration: number; bandwidthBps: number })
  | (Req & { type: "RequestFailed"; error: ErrorInfo; retryable: boolean })
  | (Req & { type: "RequestCancelled"; reason: CancelReason; bytes: number })
  | {
      domain: "downloader";
      type: "PriorityChanged";
      peerId: number;
      from: Priority;
      to: Priority;
      moved: number;
    }
  | { domain: "downloader"; type: "PeerRegistered"; peerId: number }
  | { domain: "downloader"; type: "PeerDisposed"; peerId: number; cancelled: number }
  | {
      domain: "downloader";
      type: "HangDetected";
      stalledFor: number;
      inFlight: number;
      queued: [number, number, number, number];
      peers: number;
    };
