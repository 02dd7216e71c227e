/**
 * The engine a command runs on: one HTTP client, one ABR controller, one Downloader (the
 * shared pool every peer pulls through) and the disk asset store, all reporting on the
 * session's bus. Composition only; the behaviour lives in net/, abr/, dl/, store/.
 */
import { AbrController } from "../abr/controller.js";
import type { Clock } from "../core/clock.js";
import { Downloader } from "../dl/downloader.js";
import type { EventBus } from "../events/bus.js";
import { createHttpClient } from "../net/client.js";
import type { HttpClient } from "../net/types.js";
import { DiskStore } from "../store/disk-store.js";

export interface EngineOptions {
  bus: EventBus;
  clock: Clock;
  cacheDir?: string | undefined;
  /** Global cap on parallel requests (DL-1). */
  concurrency?: number | undefined;
}

export class Engine implements AsyncDisposable {
  readonly http: HttpClient;
  readonly abr: AbrController;
  readonly downloader: Downloader;
  readonly store: DiskStore;
  #closed = false;

  private constructor(
    http: HttpClient,
    abr: AbrController,
    downloader: Downloader,
    store: DiskStore,
  ) {
    this.http = http;
    this.abr = abr;
    this.downloader = downloader;
    this.store = store;
  }

  static async open(o: EngineOptions): Promise<Engine> {
    const store = await DiskStore.open({
      bus: o.bus,
      ...(o.cacheDir !== undefined ? { root: o.cacheDir } : {}),
    });
    const http = createHttpClient({ clock: o.clock });
    const abr = new AbrController({ clock: o.clock });
    const downloader = new Downloader({
      http,
      abr,
      clock: o.clock,
      bus: o.bus,
      ...(o.concurrency !== undefined ? { maxConcurrent: o.concurrency } : {}),
    });
    return new Engine(http, abr, downloader, store);
  }

  /** Close the downloader, the connection pool and the store (CORE-4). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.downloader.close();
    await this.http.close();
    await this.store.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
