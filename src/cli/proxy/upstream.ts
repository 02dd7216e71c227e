/**
 * What the proxy needs from the engine (CLI-2). `engine-upstream.ts` implements it over the
 * Downloader, the asset store and `open(url)`; the proxy server codes against this only.
 */

/** A random-access view of one upstream resource, cached as it arrives. */
export interface UpstreamResource {
  /** Total length once known. */
  length(): number | undefined;
  /** Content type reported by the origin, when known. */
  contentType(): string | undefined;
  /**
   * Resolves when [start, end) is readable (`ready`), or when the resource is proven to end
   * before `end` (`eof`, after which `length()` is known). Rejects on a download failure.
   */
  waitRange(start: number, end: number, signal: AbortSignal): Promise<"ready" | "eof">;
  /** Read `length` bytes at `offset` (after `waitRange` said they are there). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** The proxy is done with it (the download may go on for the cache). */
  release(): void;
}

export interface UpstreamPlaylist {
  /** Final URL after redirects: relative URIs resolve against it. */
  url: string;
  text: string;
}

export interface ProxyUpstream {
  /** Fetch a playlist (small, whole) through the engine. */
  playlist(url: string, signal: AbortSignal): Promise<UpstreamPlaylist>;
  /** Open a media resource through the engine and the cache. */
  open(url: string, signal: AbortSignal): Promise<UpstreamResource>;
  /** Fetch into the cache ahead of the player, at low priority; errors are ignored. */
  prefetch(url: string, range?: { start: number; end: number }): void;
  close(): Promise<void>;
}
