/**
 * The fetch backend (NET-1) over a WHATWG `fetch` (the global one by default): browsers and
 * any runtime with fetch. Redirects are returned, not followed (`redirect: "manual"`), so the
 * client checks schemes and counts hops itself. The connection pool belongs to the runtime;
 * `close()` aborts every request still in flight.
 */
import { toNetError } from "./errors.js";
import type { Headers, HttpBackend, RawRequest, RawResponse } from "./types.js";

export interface FetchBackendOptions {
  fetch?: typeof globalThis.fetch;
}

async function* readStream(stream: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (!stream) return;
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

export function createFetchBackend(options: FetchBackendOptions = {}): HttpBackend {
  const doFetch = options.fetch ?? globalThis.fetch;
  const inFlight = new Set<AbortController>();
  return {
    name: "fetch",
    async request(req: RawRequest): Promise<RawResponse> {
      const ctrl = new AbortController();
      const onAbort = () => ctrl.abort(req.signal.reason);
      if (req.signal.aborted) onAbort();
      else req.signal.addEventListener("abort", onAbort, { once: true });
      inFlight.add(ctrl);
      const finish = () => {
        inFlight.delete(ctrl);
        req.signal.removeEventListener("abort", onAbort);
      };
      try {
        const res = await doFetch(req.url, {
          method: req.method,
          headers: req.headers,
          signal: ctrl.signal,
          redirect: "manual",
        });
        const headers: Record<string, string> = {};
        res.headers.forEach((v, k) => {
          headers[k.toLowerCase()] = v;
        });
        const stream = res.body;
        const body = (async function* () {
          try {
            yield* readStream(stream);
          } catch (e) {
            throw toNetError(e, req.url);
          } finally {
            finish();
          }
        })();
        return {
          status: res.status,
          url: req.url,
          headers: headers as Headers,
          body,
          async dispose() {
            ctrl.abort();
            await body.return(undefined).catch(() => {});
            await stream?.cancel().catch(() => {});
            finish();
          },
        };
      } catch (e) {
        finish();
        throw toNetError(e, req.url);
      }
    },
    async close() {
      for (const c of inFlight) c.abort();
      inFlight.clear();
    },
  };
}
