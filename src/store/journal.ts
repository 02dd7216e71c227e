/**
 * The per-asset index file `<assetRoot>/.index`: NDJSON, append-only. Line 1 is the header
 * `{"v":1,"asset":url}`; every other line is the full state of one resource (last line for a
 * key wins), or `{"k":key,"x":1}` for a removal. A crash can only tear the last line; any line
 * that does not parse or validate marks the file damaged (STORE-5) and the asset is rebuilt
 * from a directory scan, salvaging the valid lines.
 */
import type { PersistedResource } from "./backend.js";
import type { Validator } from "./types.js";

export const INDEX_FILE = ".index";
export const INDEX_TMP = ".index.tmp";
const VERSION = 1;

interface Line {
  k: string;
  u?: string;
  s?: "p" | "c";
  n?: number;
  g?: Array<[number, number]>;
  e?: string;
  m?: string;
  x?: 1;
}

export function encodeHeader(url: string): string {
  return `${JSON.stringify({ v: VERSION, asset: url })}\n`;
}

export function encodeRecord(key: string, r: PersistedResource | undefined): string {
  if (r === undefined) return `${JSON.stringify({ k: key, x: 1 })}\n`;
  const line: Line = { k: key, u: r.url, s: r.state === "committed" ? "c" : "p" };
  if (r.total !== undefined) line.n = r.total;
  if (r.state === "partial") line.g = r.ranges;
  if (r.validator?.etag !== undefined) line.e = r.validator.etag;
  if (r.validator?.lastModified !== undefined) line.m = r.validator.lastModified;
  return `${JSON.stringify(line)}\n`;
}

const isOffset = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

function decodeLine(text: string): { key: string; rec: PersistedResource | undefined } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const l = v as Partial<Line>;
  if (typeof l.k !== "string" || l.k === "") return undefined;
  if (l.x === 1) return { key: l.k, rec: undefined };
  if (typeof l.u !== "string" || (l.s !== "p" && l.s !== "c")) return undefined;
  if (l.n !== undefined && !isOffset(l.n)) return undefined;
  if (l.e !== undefined && typeof l.e !== "string") return undefined;
  if (l.m !== undefined && typeof l.m !== "string") return undefined;
  let ranges: Array<[number, number]>;
  if (l.s === "c") {
    if (l.n === undefined) return undefined;
    ranges = l.n > 0 ? [[0, l.n]] : [];
  } else {
    if (!Array.isArray(l.g)) return undefined;
    ranges = [];
    for (const r of l.g as unknown[]) {
      if (!Array.isArray(r) || r.length !== 2 || !isOffset(r[0]) || !isOffset(r[1]) || r[1] <= r[0])
        return undefined;
      if (l.n !== undefined && r[1] > l.n) return undefined;
      ranges.push([r[0], r[1]]);
    }
  }
  const validator: Validator = {};
  if (l.e !== undefined) validator.etag = l.e;
  if (l.m !== undefined) validator.lastModified = l.m;
  const rec: PersistedResource = {
    key: l.k,
    url: l.u,
    state: l.s === "c" ? "committed" : "partial",
    total: l.n,
    ranges,
    validator: l.e !== undefined || l.m !== undefined ? validator : undefined,
  };
  return { key: l.k, rec };
}

export interface ParsedIndex {
  url: string | undefined;
  resources: Map<string, PersistedResource>;
  lines: number;
  /** `undefined` when clean; else why the file cannot be trusted alone. */
  damage: "missing" | "truncated" | "garbage" | undefined;
}

export function parseIndex(text: string | undefined): ParsedIndex {
  const resources = new Map<string, PersistedResource>();
  if (text === undefined) return { url: undefined, resources, lines: 0, damage: "missing" };
  if (text === "") return { url: undefined, resources, lines: 0, damage: "truncated" };
  const lines = text.split("\n");
  const tail = lines.pop();
  let damage: ParsedIndex["damage"] = tail === "" ? undefined : "truncated";
  let url: string | undefined;
  const head = lines.shift();
  try {
    const h: unknown = head === undefined ? undefined : JSON.parse(head);
    const hv = h as { v?: unknown; asset?: unknown } | undefined;
    if (hv?.v === VERSION && typeof hv.asset === "string") url = hv.asset;
    else damage = "garbage";
  } catch {
    damage = head === undefined && tail !== undefined ? "truncated" : "garbage";
  }
  for (const line of lines) {
    const d = decodeLine(line);
    if (d === undefined) {
      damage = "garbage";
      continue;
    }
    if (d.rec === undefined) resources.delete(d.key);
    else resources.set(d.key, d.rec);
  }
  return { url, resources, lines: lines.length + 1, damage };
}

/** A compacted index: header plus one line per live resource. */
export function encodeIndex(url: string, resources: Iterable<PersistedResource>): string {
  let out = encodeHeader(url);
  for (const r of resources) out += encodeRecord(r.key, r);
  return out;
}
