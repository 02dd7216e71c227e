/**
 * The backends the HTTP/1.1 conformance suite runs against, and how to build each one with
 * the options a case needs. Every case that is not specific to our own transport runs over
 * each name in `BACKENDS`, so the suite also documents where undici and ours agree.
 */
import { NetError } from "../../../src/core/errors.js";
import { createHttp1Backend } from "../../../src/net/backend-http1.js";
import { createUndiciBackend } from "../../../src/net/backend-undici.js";
import type { HttpBackend, Method, RawRequest, RawResponse } from "../../../src/net/types.js";

export type BackendName = "undici" | "http1";
export const BACKENDS: readonly BackendName[] = ["undici", "http1"];

/** The options every backend under test understands (a subset of Http1BackendOptions). */
export interface CommonOptions {
  connectTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  connections?: number;
}

export function makeBackend(name: BackendName, options: CommonOptions = {}): HttpBackend {
  switch (name) {
    case "undici":
      return createUndiciBackend(options);
    case "http1":
      return createHttp1Backend(options);
  }
}

/** A RawRequest whose teardown the test can call (`abort`), as the client's guard would. */
export interface TestRequest extends RawRequest {
  abort(reason?: unknown): void;
}

export function rawRequest(
  url: string,
  method: Method = "GET",
  headers: Record<string, string> = {},
): TestRequest {
  let teardown: ((reason: unknown) => void) | undefined;
  let abortReason: { reason: unknown } | undefined;
  let controller: AbortController | undefined;
  return {
    url,
    target: new URL(url),
    method,
    headers,
    // The seam lets a backend use either the signal or onAbort; both see the same abort.
    get signal(): AbortSignal {
      controller ??= new AbortController();
      if (abortReason) controller.abort(abortReason.reason);
      return controller.signal;
    },
    onAbort(fn) {
      teardown = fn;
      if (abortReason) fn(abortReason.reason);
    },
    abort(reason = new NetError("Cancelled", `request cancelled: ${url}`, { url })) {
      if (abortReason) return;
      abortReason = { reason };
      controller?.abort(reason);
      teardown?.(reason);
    },
  };
}

/** Send one GET/HEAD and read its whole body. */
export async function fetchAll(
  backend: HttpBackend,
  url: string,
  method: Method = "GET",
  headers: Record<string, string> = {},
): Promise<{ res: RawResponse; body: string }> {
  const res = await backend.request(rawRequest(url, method, headers));
  const parts: Uint8Array[] = [];
  for await (const c of res.body) parts.push(c);
  await res.dispose();
  return { res, body: Buffer.concat(parts).toString("latin1") };
}

/** Expect `p` to reject with a NetError (any kind); returns it for further checks. */
export async function netFailure(p: Promise<unknown>): Promise<NetError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (!(err instanceof NetError)) throw new Error(`expected a NetError, got ${String(err)}`);
  return err;
}

/** Expect `p` to fail with a retryable Network NetError; returns it for further checks. */
export async function networkFailure(p: Promise<unknown>): Promise<NetError> {
  const err = await netFailure(p);
  if (err.kind !== "Network") {
    throw new Error(`expected kind Network, got ${err.kind}: ${err.message}`);
  }
  if (!err.retryable) throw new Error("a Network error must be retryable");
  return err;
}

/** Read a body to its end, dropping the bytes. */
export async function drain(body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _ of body) {
    // dropped
  }
}

/**
 * Sockets a run of sequential requests to one origin may open. Ours: exactly one. undici's
 * Pool opens a second client when the next request is dispatched before the first client
 * emitted 'drain' (it does so after the body's end reached us), then alternates between two.
 */
export function sequentialSockets(name: BackendName): number {
  return name === "undici" ? 2 : 1;
}

/** The transport's own count of open sockets, where it keeps one (http1); else undefined. */
export function openSockets(backend: HttpBackend): number | undefined {
  return "sockets" in backend && typeof backend.sockets === "number" ? backend.sockets : undefined;
}
