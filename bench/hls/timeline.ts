/**
 * Where a tool's wall time goes, from what the relay saw (`RelayEvent`s) and when the process
 * started and exited: start-up to the first connection, to the first segment request, the
 * segment phase, the tail after the last response, and how often all `concurrency` slots held
 * a request (sent, response not yet at the client).
 */
import type { RelayEvent } from "../support/delay-proxy.js";

export interface Timeline {
  /** Process start -> first connection to the relay. */
  toConnectMs: number;
  /** Process start -> first media segment request. */
  toFirstSegmentMs: number;
  /** First segment request -> last response at the client. */
  segmentPhaseMs: number;
  /** Last response at the client -> process exit (writing, closing, exiting). */
  tailMs: number;
  requests: number;
  connections: number;
  /** Share of the segment phase with `concurrency` requests outstanding. */
  fullShare: number;
}

const isPlaylist = (path: string) => /\.m3u8(?:\?|$)/.test(path);

export function timeline(
  events: readonly RelayEvent[],
  startedAt: number,
  endedAt: number,
  concurrency: number,
  rttMs: number,
): Timeline | null {
  const firstOpen = events.find((e) => e.kind === "open");
  const firstSeg = events.find((e) => e.kind === "request" && !isPlaylist(e.path ?? ""));
  const responses = events.filter((e) => e.kind === "response");
  const lastResponse = responses.at(-1);
  if (!firstOpen || !firstSeg || !lastResponse) return null;
  const lastAtClient = lastResponse.t + rttMs / 2;
  // Outstanding: from the request line reaching the relay to its response reaching the client.
  const steps: [number, number][] = [];
  for (const e of events) {
    if (e.kind === "request") steps.push([e.t, 1]);
    else if (e.kind === "response") steps.push([e.t + rttMs / 2, -1]);
  }
  steps.sort((a, b) => a[0] - b[0]);
  let outstanding = 0;
  let full = 0;
  let last = firstSeg.t;
  for (const [t, d] of steps) {
    if (t > firstSeg.t && outstanding >= concurrency) full += t - Math.max(last, firstSeg.t);
    outstanding += d;
    last = t;
  }
  const phase = lastAtClient - firstSeg.t;
  return {
    toConnectMs: firstOpen.t - startedAt,
    toFirstSegmentMs: firstSeg.t - startedAt,
    segmentPhaseMs: phase,
    tailMs: endedAt - lastAtClient,
    requests: events.filter((e) => e.kind === "request").length,
    connections: events.filter((e) => e.kind === "open").length,
    fullShare: phase > 0 ? full / phase : 0,
  };
}
