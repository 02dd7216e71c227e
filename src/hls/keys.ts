/**
 * AES-128 key loading (HLS-4): each key URI is fetched once, concurrent requests share the
 * same promise, and a key must be exactly 16 bytes. A failed fetch is forgotten so a later
 * attempt may try again; a good key is kept for the life of the cache.
 */
import { errorInfo, NetError } from "../core/errors.js";
import type { EventBus } from "../events/bus.js";
import { KeyError } from "./errors.js";

/** Fetches a key body (with the HTML validator on); `cached` when it came from the store. */
export type KeyFetch = (uri: string) => Promise<{ bytes: Uint8Array; cached: boolean }>;

export class KeyCache {
  readonly #fetch: KeyFetch;
  readonly #bus: EventBus | undefined;
  readonly #keys = new Map<string, Promise<Uint8Array>>();
  /** Fetches started (tests and stats: concurrent requests must share one). */
  fetches = 0;

  constructor(fetch: KeyFetch, bus?: EventBus) {
    this.#fetch = fetch;
    this.#bus = bus;
  }

  get(uri: string): Promise<Uint8Array> {
    let p = this.#keys.get(uri);
    if (!p) {
      p = this.#load(uri);
      this.#keys.set(uri, p);
      p.catch(() => this.#keys.delete(uri));
    }
    return p;
  }

  async #load(uri: string): Promise<Uint8Array> {
    this.fetches++;
    try {
      const { bytes, cached } = await this.#fetch(uri);
      if (bytes.byteLength !== 16) {
        throw new KeyError(uri, `got ${bytes.byteLength} bytes, a key must be exactly 16`);
      }
      this.#bus?.publish({ domain: "drm", type: "KeyLoaded", uri, cached });
      return bytes;
    } catch (err) {
      const e =
        err instanceof KeyError
          ? err
          : new KeyError(
              uri,
              err instanceof NetError && err.kind === "InvalidContentType"
                ? "the server answered with an HTML page"
                : `could not be fetched (${err instanceof Error ? err.message : String(err)})`,
              {
                cause: err,
              },
            );
      this.#bus?.publish({ domain: "drm", type: "KeyFailed", uri, error: errorInfo(e) });
      throw e;
    }
  }
}
