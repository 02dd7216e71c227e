/** `plectrum cache ls | verify | gc | rm` (CLI-3), over the asset store's own maintenance API. */
import { DiskStore } from "../../store/disk-store.js";
import { CliError, ExitCode } from "../exit-codes.js";
import type { CacheOptions, GcOptions } from "../options.js";
import { formatBytes } from "../progress/format.js";
import type { CliStreams } from "../session.js";

async function withStore<T>(
  opts: CacheOptions & { maxBytes?: number | undefined; maxAssets?: number | undefined },
  fn: (store: DiskStore) => Promise<T>,
): Promise<T> {
  const store = await DiskStore.open({
    ...(opts.cacheDir !== undefined ? { root: opts.cacheDir } : {}),
    ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}),
    ...(opts.maxAssets !== undefined ? { maxAssets: opts.maxAssets } : {}),
  });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function out(streams: CliStreams, opts: CacheOptions, value: unknown, text: () => string[]): void {
  if (opts.json) streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (!opts.quiet) streams.stdout.write(`${text().join("\n")}\n`);
}

export async function cacheLs(opts: CacheOptions, streams: CliStreams): Promise<void> {
  await withStore(opts, async (store) => {
    const assets = await store.list();
    out(streams, opts, { root: store.root, assets }, () => {
      const total = assets.reduce((n, a) => n + a.bytes, 0);
      const rows = assets.map(
        (a) =>
          `${a.assetRoot}  ${formatBytes(a.bytes).padStart(9)}  ${new Date(a.lastUsed).toISOString().slice(0, 19)}Z${a.partial > 0 ? "  partial" : ""}${a.pinned ? "  in use" : ""}  ${a.url ?? "?"}`,
      );
      return [`${store.root}: ${assets.length} asset(s), ${formatBytes(total)}`, ...rows];
    });
  });
}

export async function cacheVerify(opts: CacheOptions, streams: CliStreams): Promise<void> {
  const report = await withStore(opts, (store) => store.verify());
  out(streams, opts, report, () => [
    `checked ${report.assets} asset(s), ${report.resources} resource(s): ${report.problems.length} problem(s)`,
    ...report.problems.map((p) => `${p.assetRoot}/${p.resource}: ${p.problem} (${p.detail})`),
  ]);
  if (report.problems.length > 0) {
    throw new CliError(ExitCode.Storage, `the cache has ${report.problems.length} problem(s)`, {
      hint: "run `plectrum cache gc` to drop orphans, or `plectrum cache rm <asset>` for damaged assets",
    });
  }
}

export async function cacheGc(opts: GcOptions, streams: CliStreams): Promise<void> {
  const report = await withStore(opts, (store) => store.gc());
  out(streams, opts, report, () => [
    `evicted ${report.evicted.length} asset(s), removed ${report.removedFiles} orphan file(s), freed ${formatBytes(report.freedBytes + report.evicted.reduce((n, e) => n + e.bytes, 0))}`,
    ...report.evicted.map((e) => `evicted ${e.assetRoot} (${e.reason}, ${formatBytes(e.bytes)})`),
  ]);
}

export async function cacheRm(
  assets: string[],
  opts: CacheOptions,
  streams: CliStreams,
): Promise<void> {
  const removed = await withStore(opts, async (store) => {
    const res: Array<{ asset: string; freed: number }> = [];
    for (const a of assets) res.push({ asset: a, freed: await store.remove(a) });
    return res;
  });
  out(streams, opts, removed, () =>
    removed.map((r) =>
      r.freed > 0 ? `removed ${r.asset} (${formatBytes(r.freed)})` : `not cached: ${r.asset}`,
    ),
  );
}
