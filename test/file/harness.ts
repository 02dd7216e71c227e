/**
 * A real stack for file/resource tests: the fault-injecting server on loopback, a disk store in
 * a temp dir, the undici HTTP client and one Downloader, all closed by `close()`.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Downloader } from "../../src/dl/index.js";
import { EventBus } from "../../src/events/bus.js";
import type { PlectrumEvent } from "../../src/events/types.js";
import type { FileOptions } from "../../src/file/types.js";
import { createHttpClient } from "../../src/net/index.js";
import { open } from "../../src/resource/open.js";
import type { Resource } from "../../src/resource/types.js";
import { DiskStore } from "../../src/store/index.js";
import { FaultServer } from "../support/fault-server.js";

export interface Stack {
  server: FaultServer;
  /** Temp dir holding the cache root (`root`) and nothing else we create. */
  dir: string;
  root: string;
  store: DiskStore;
  downloader: Downloader;
  bus: EventBus;
  events: PlectrumEvent[];
  open(url: string, options?: FileOptions): Promise<Resource>;
  fileEvents(type: string): PlectrumEvent[];
  close(): Promise<void>;
}

export async function stack(
  net: { maxRetries?: number; inactivityTimeoutMs?: number } = {},
): Promise<Stack> {
  const server = await FaultServer.start();
  const dir = await mkdtemp(join(tmpdir(), "plectrum-file-"));
  const root = join(dir, "cache");
  const bus = EventBus.root();
  const events: PlectrumEvent[] = [];
  bus.subscribe((e) => events.push(e.event));
  const store = await DiskStore.open({ root, bus });
  const http = createHttpClient({
    jitter: 0,
    backoffBaseMs: 1,
    maxRetries: net.maxRetries ?? 3,
    ...(net.inactivityTimeoutMs === undefined
      ? {}
      : { inactivityTimeoutMs: net.inactivityTimeoutMs }),
  });
  const downloader = new Downloader({ http, bus });
  const opened: Resource[] = [];
  return {
    server,
    dir,
    root,
    store,
    downloader,
    bus,
    events,
    async open(url, options = {}) {
      const r = await open(url, { downloader, store, bus, ...options });
      opened.push(r);
      return r;
    },
    fileEvents: (type) => events.filter((e) => e.domain === "file" && e.type === type),
    async close() {
      for (const r of opened) await r.close();
      await downloader.close();
      await http.close();
      await store.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every file under `dir`, recursively. */
export async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

/** Read a resource from `from` to its end through `readAt` (waiting for bytes as they arrive). */
export async function readAll(res: Resource, from = 0, chunk = 64 * 1024): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for (let at = from; ; ) {
    const buf = new Uint8Array(chunk);
    const n = await res.readAt(at, buf);
    if (n === 0) break;
    parts.push(buf.subarray(0, n));
    at += n;
  }
  return Buffer.concat(parts);
}

/** `bytes=s-e` -> s (no header -> 0). */
export function rangeStart(range: string | undefined): number {
  return range === undefined ? 0 : Number(/^bytes=(\d+)-/.exec(range)?.[1] ?? Number.NaN);
}
