/** NDJSON serialisation of envelopes (EVT-4): one JSON object per line, lossless. */
import type { EventBus } from "./bus.js";
import type { Envelope } from "./types.js";

export function toNdjsonLine(env: Envelope): string {
  return `${JSON.stringify(env)}\n`;
}

export function parseNdjson(text: string): Envelope[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Envelope);
}

/** Anything with a `write(string)` method: a Node Writable, a file handle adapter, an array sink. */
export interface LineSink {
  write(line: string): unknown;
}

/** Write every envelope published on `bus` (and its children) to `sink`. Returns the unsubscribe. */
export function pipeNdjson(bus: EventBus, sink: LineSink): () => void {
  return bus.subscribe((env) => {
    sink.write(toNdjsonLine(env));
  });
}
