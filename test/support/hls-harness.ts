/**
 * Real-component harness for HLS tests: the fault-injecting server serving a fixture, the
 * undici HttpClient, the Downloader with a real ABR controller, and a store (memory or disk
 * in a temp dir).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AbrController, createAbrController, type PolicyName } from "../../src/abr/index.js";
import { Downloader } from "../../src/dl/index.js";
import { EventBus } from "../../src/events/bus.js";
import type { PlectrumEvent } from "../../src/events/types.js";
import { createHttpClient } from "../../src/net/index.js";
import type { HttpClient } from "../../src/net/types.js";
import { DiskStore, MemoryStore } from "../../src/store/index.js";
import type { AssetStore } from "../../src/store/types.js";
import { FaultServer } from "./fault-server.js";
import type { FixtureFile } from "./hls-fixtures.js";

export interface HlsHarness {
  server: FaultServer;
  http: HttpClient;
  abr: AbrController;
  dl: Downloader;
  store: AssetStore;
  bus: EventBus;
  events: PlectrumEvent[];
  dir: string;
  url(path: string): string;
  of<T extends PlectrumEvent["type"]>(type: T): Extract<PlectrumEvent, { type: T }>[];
  /** A fresh downloader + client over the same store (e.g. after the server stopped). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  disk?: boolean;
  minSwitchIntervalMs?: number;
  /** ABR policy; default the controller's (the benchmark winner). */
  policy?: PolicyName;
  maxConcurrent?: number;
  softTimeoutMs?: number;
}

export function serve(server: FaultServer, files: Map<string, FixtureFile>): void {
  for (const [path, f] of files) server.route(path, { body: f.body, contentType: f.contentType });
}

export async function hlsHarness(
  files: Map<string, FixtureFile>,
  options: HarnessOptions = {},
): Promise<HlsHarness> {
  const server = await FaultServer.start();
  serve(server, files);
  const dir = await mkdtemp(join(tmpdir(), "plectrum-hls-"));
  const bus = EventBus.root();
  const events: PlectrumEvent[] = [];
  bus.subscribe((e) => events.push(e.event));
  const store: AssetStore = options.disk
    ? await DiskStore.open({ root: join(dir, "cache"), bus })
    : new MemoryStore({ bus });
  const make = () => {
    const http = createHttpClient({ jitter: 0, backoffBaseMs: 1, backoffMaxMs: 5 });
    const abrSettings: { minSwitchIntervalMs?: number; policy?: PolicyName } = {};
    if (options.minSwitchIntervalMs !== undefined) {
      abrSettings.minSwitchIntervalMs = options.minSwitchIntervalMs;
    }
    if (options.policy !== undefined) abrSettings.policy = options.policy;
    const abr = createAbrController(abrSettings);
    const dl = new Downloader({
      http,
      abr,
      bus,
      maxConcurrent: options.maxConcurrent ?? 5,
      softTimeoutMs: options.softTimeoutMs ?? 2_000,
    });
    return { http, abr, dl };
  };
  let parts = make();
  const h: HlsHarness = {
    server,
    get http() {
      return parts.http;
    },
    get abr() {
      return parts.abr;
    },
    get dl() {
      return parts.dl;
    },
    store,
    bus,
    events,
    dir,
    url: (p) => server.url(p),
    of: <T extends PlectrumEvent["type"]>(type: T) =>
      events.filter((e): e is Extract<PlectrumEvent, { type: T }> => e.type === type),
    async restart() {
      await parts.dl.close();
      await parts.http.close();
      parts = make();
    },
    async close() {
      await parts.dl.close();
      await parts.http.close();
      await store.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Let real I/O run until `cond()` holds (bounded; throws if it never does). */
export async function until(cond: () => boolean, what = "condition"): Promise<void> {
  for (let i = 0; i < 4000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
