/** Text formatting of progress snapshots (CLI-1). Pure functions. */
import { kbps, type ProgressSnapshot } from "./model.js";

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(h > 0 ? 2 : 1, "0");
  const ss = String(sec).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** One progress line: bytes[/total] rate ETA segments variant retries. */
export function formatProgress(p: ProgressSnapshot): string {
  const parts: string[] = [];
  const total = p.totalBytes !== null ? ` / ${formatBytes(p.totalBytes)}` : "";
  const pct =
    p.totalBytes !== null && p.totalBytes > 0
      ? ` (${Math.floor((100 * p.bytes) / p.totalBytes)}%)`
      : p.segmentsTotal
        ? ` (${Math.floor((100 * p.segmentsDone) / p.segmentsTotal)}%)`
        : "";
  parts.push(`${formatBytes(p.bytes)}${total}${pct}`);
  parts.push(`${formatBytes(Math.round(p.rate))}/s`);
  parts.push(`ETA ${p.eta === null ? "--:--" : formatDuration(p.eta)}`);
  if (p.segmentsTotal !== null || p.segmentsDone > 0) {
    parts.push(`segments ${p.segmentsDone}/${p.segmentsTotal ?? "?"}`);
  }
  if (p.variant !== null) {
    const bw = p.variant.bandwidth !== null ? ` ${kbps(p.variant.bandwidth)}` : "";
    parts.push(`variant #${p.variant.index}${bw}`);
  }
  if (p.retries > 0) parts.push(`retries ${p.retries}`);
  return parts.join("  ");
}
