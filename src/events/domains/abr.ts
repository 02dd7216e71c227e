/** A variant as the ABR layer sees it (ABR-3). */
export interface VariantInfo {
  index: number;
  bandwidth: number;
  codecs?: string;
  name?: string;
}

export type AbrMode = { kind: "auto" } | { kind: "manual"; index: number };

/** Why a tick did not switch (ABR-4/5). */
export type StayReason =
  | "Locked"
  | "ManualOverride"
  | "NoEstimate"
  | "AlreadyOptimal"
  | "BufferTooLowForUpSwitch"
  | "MinInterval"
  | "NoVariants";

/** Why a switch happened. */
export type SwitchReason =
  | "Initial"
  | "Manual"
  | "UpSwitch"
  | "DownSwitch"
  | "UrgentDownSwitch"
  | "EscapeStalled"
  | "CapExceeded"
  | "Policy";

interface Peer {
  domain: "abr";
  peerId: number;
}

/** ABR events (ABR-8). */
export type AbrEvent =
  | (Peer & { type: "VariantsRegistered"; variants: VariantInfo[]; initial: number })
  | (Peer & {
      type: "ThroughputSample";
      bytes: number;
      durationMs: number;
      bps: number;
      source: "network" | "cache";
    })
  | (Peer & { type: "BandwidthEstimate"; bps: number })
  | (Peer & { type: "BufferAhead"; seconds: number | null })
  | (Peer & { type: "DecisionSkipped"; reason: StayReason; current: number })
  | (Peer & { type: "ModeChanged"; mode: AbrMode })
  | (Peer & { type: "MaxBandwidthCapChanged"; capBps: number | null })
  | (Peer & { type: "Locked"; depth: number })
  | (Peer & { type: "Unlocked"; depth: number })
  | (Peer & { type: "VariantApplied"; from: number; to: number; reason: SwitchReason });
