/**
 * The undici backend (NET-1): ONE keep-alive `Agent` per client, shared by every request.
 * It never follows redirects (the client does, to check schemes and count hops, NET-12) and
 * has no timeouts of its own besides connect: idle timeouts belong to the net body (NET-2).
 */
import { Agent } from "undici";
import { toNetError } from "./errors.js";
import type { Headers, HttpBackend, RawRequest, RawResponse } from "./types.js";

export interface UndiciBackendOptions {
  /** Backstop for the TCP/TLS connect; the client's inactivity timer normally fires first. */
  connectTimeoutMs?: number;
  /** Idle keep-alive sockets are closed after this long (undici default 4 s). */
  keepAliveTimeoutMs?: number;
  /** Connections per origin (default: unlimited). */
  connections?: number;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const out: Record<string, string> = {};
  // for-in over the own keys of undici's plain header object: no entries array per response.
  for (const k in raw) {
    const v = raw[k];
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

export function createUndiciBackend(options: UndiciBackendOptions = {}): HttpBackend {
  const agent = new Agent({
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    connect: { timeout: options.connectTimeoutMs ?? 30_000 },
    ...(options.connections !== undefined ? { connections: options.connections } : {}),
  });
  return {
    name: "undici",
    async request(req: RawRequest): Promise<RawResponse> {
      try {
        const u = new URL(req.url);
        const res = await agent.request({
          origin: u.origin,
          path: `${u.pathname}${u.search}`,
          method: req.method,
          headers: req.headers,
          signal: req.signal,
        });
        const body = res.body;
        return {
          status: res.statusCode,
          url: req.url,
          headers: flattenHeaders(res.headers),
          body,
          async dispose() {
            // A fully read body has ended by itself (the resumable body and getBytes read to
            // undici's end of body), so its connection is back in the pool. Only an abandoned
            // body is destroyed, which costs the connection and an error object.
            if (body.destroyed || body.readableEnded) return;
            // Destroying emits 'error' (aborted); nobody reads it any more.
            body.on("error", () => {});
            body.destroy();
          },
        };
      } catch (e) {
        throw toNetError(e, req.url);
      }
    },
    async close() {
      await agent.destroy();
    },
  };
}
