/**
 * The proxy's upstream over the engine (CLI-2): playlists are fetched whole through the
 * Downloader (`execute`, HTML rejected, always fresh so live playlists advance); media goes
 * through `open(url)` — the progressive peer with the asset store, so every byte is cached and
 * shared with concurrent readers — and prefetch opens the next segments at low priority.
 */
import { isCancelled } from "../../core/errors.js";
import type { PeerHandle } from "../../dl/peer-handle.js";
import type { PollResult } from "../../dl/types.js";
import { open } from "../../resource/open.js";
import type { Resource } from "../../resource/types.js";
import type { Engine } from "../engine.js";
import type { ProxyUpstream, UpstreamPlaylist, UpstreamResource } from "./upstream.js";

const TYPES: Record<string, string> = {
  ts: "video/mp2t",
  aac: "audio/aac",
  m4s: "video/iso.segment",
  mp4: "video/mp4",
  m4a: "audio/mp4",
  mp3: "audio/mpeg",
  flac: "audio/flac",
  vtt: "text/vtt",
};

function typeOf(url: string): string | undefined {
  const m = /\.([a-z0-9]+)$/i.exec(new URL(url).pathname);
  return m ? TYPES[m[1]!.toLowerCase()] : undefined;
}

class ResourceView implements UpstreamResource {
  readonly #r: Resource;
  readonly #url: string;
  constructor(r: Resource, url: string) {
    this.#r = r;
    this.#url = url;
  }
  length(): number | undefined {
    return this.#r.length ?? undefined;
  }
  contentType(): string | undefined {
    return typeOf(this.#url);
  }
  waitRange(start: number, end: number, signal: AbortSignal): Promise<"ready" | "eof"> {
    if (start !== this.#r.position) this.#r.seek(start);
    return this.#r.waitRange(start, end, { signal });
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    const buf = new Uint8Array(length);
    const n = await this.#r.readAt(offset, buf);
    return n === length ? buf : buf.subarray(0, n);
  }
  release(): void {
    void this.#r.close();
  }
}

export class EngineUpstream implements ProxyUpstream {
  readonly #engine: Engine;
  /** A peer with no streaming work of its own: the handle for whole-body playlist fetches. */
  readonly #handle: PeerHandle;
  readonly #prefetching = new Map<string, AbortController>();

  constructor(engine: Engine) {
    this.#engine = engine;
    this.#handle = engine.downloader.register(
      { poll: (): PollResult => "pending", priority: () => "high" },
      { bus: engine.downloader.bus.scoped({ track: "proxy" }) },
    );
  }

  async playlist(url: string, signal: AbortSignal): Promise<UpstreamPlaylist> {
    signal.throwIfAborted();
    const got = await this.#handle.execute({ url, rejectHtml: true });
    return { url: got.response.url || url, text: new TextDecoder().decode(got.bytes) };
  }

  async open(url: string, signal: AbortSignal): Promise<UpstreamResource> {
    signal.throwIfAborted();
    const r = await open(url, {
      downloader: this.#engine.downloader,
      store: this.#engine.store,
      bus: this.#engine.downloader.bus,
      playing: true,
    });
    return new ResourceView(r, url);
  }

  prefetch(url: string, range?: { start: number; end: number }): void {
    const key = range ? `${url}#${range.start}` : url;
    if (this.#prefetching.has(key)) return;
    const abort = new AbortController();
    this.#prefetching.set(key, abort);
    void (async () => {
      let r: Resource | undefined;
      try {
        r = await open(url, {
          downloader: this.#engine.downloader,
          store: this.#engine.store,
          bus: this.#engine.downloader.bus,
        });
        if (range) r.seek(range.start);
        await r.waitRange(range?.start ?? 0, range?.end ?? Number.MAX_SAFE_INTEGER, {
          signal: abort.signal,
        });
      } catch (err) {
        // Prefetch is best effort: the player's own request reports real failures.
        if (!isCancelled(err) && !abort.signal.aborted) this.#prefetching.delete(key);
      } finally {
        await r?.close();
      }
    })();
  }

  async close(): Promise<void> {
    for (const a of this.#prefetching.values()) a.abort();
    this.#prefetching.clear();
    this.#handle.dispose();
  }
}
