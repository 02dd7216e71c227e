/**
 * A fault-injecting HTTP server on loopback for tests (REL-1). It serves deterministic
 * pseudo-random bodies (`bodyBytes`) or fixed bytes at registered routes, honours Range,
 * If-Range and HEAD correctly by default, and injects failures through fault plans that
 * tests can change between requests.
 *
 * Paths:
 * - `/bytes/<seed>/<length>[/anything]` serves `bodyBytes(seed, length)` (etag `"b<seed>-<len>"`).
 * - any path registered with `route()`; `redirect()` registers a redirecting route.
 * - anything else is 404.
 *
 * Faults: `setFaults(path, plan | plan[])` (path `"*"` = every path without its own plan).
 * A single plan applies to every request; an array is consumed one plan per request, after
 * which requests are served normally (`burst(n, plan)` builds the array). Stalls are real
 * time but end when the client goes away or the server closes.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** Deterministic pseudo-random bytes (xorshift32 seeded by `seed`); byte i depends only on (seed, i). */
export function bodyBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761 + 0x9e3779b9) >>> 0 || 1;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
    if (i + 1 < length) out[i + 1] = (x >>> 8) & 0xff;
    if (i + 2 < length) out[i + 2] = (x >>> 16) & 0xff;
    if (i + 3 < length) out[i + 3] = (x >>> 24) & 0xff;
  }
  return out;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** One request's fault plan. Every field is optional; an empty plan is a normal answer. */
export interface FaultPlan {
  /** Wait this long before sending headers (`Infinity` = until client leaves / server closes). */
  stallBeforeHeadersMs?: number;
  /** Answer this status instead (5xx, 429, 408, 404...), with `body` (default `error <status>`). */
  status?: number;
  /** `retry-after` header on a `status` answer. */
  retryAfter?: string;
  /** Body of a `status` answer. */
  body?: string;
  /** Answer a redirect to this location (absolute or relative), with `redirectStatus` (302). */
  redirectTo?: string;
  redirectStatus?: number;
  /** Destroy the socket (RST) after this many body bytes. */
  resetAfter?: number;
  /** Stall `stallMs` after this many body bytes, then continue. */
  stallAfter?: number;
  stallMs?: number;
  /**
   * Send only this many body bytes, then end the connection cleanly (FIN). With
   * `honestLength` the content-length header says the truncated length; otherwise it claims
   * the full length.
   */
  truncateAfter?: number;
  honestLength?: boolean;
  /**
   * content-range on 206 answers: "missing" drops it, "wrong" shifts its start by one, a
   * function builds it from the real (start, inclusive end, total); a string is sent as is.
   */
  contentRange?: "missing" | "wrong" | string | ((s: number, e: number, total: number) => string);
  /** Use this status instead of 200/206 for a body answer (e.g. 206 to a plain GET, 203). */
  okStatus?: number;
  /** Serve 200 + the full body even when a Range was asked. */
  ignoreRange?: boolean;
  /** Serve a `text/html` 200 page instead of the body. */
  html?: boolean;
  /** Override the content-type. */
  contentType?: string;
  /** Send the body at this many bytes per second (real time). */
  dripBytesPerSec?: number;
  /** Give this answer a fresh ETag (`"<etag>-r<n>"`), as if the representation changed. */
  changeEtag?: boolean;
  /** A content-encoding header (the bytes are sent unchanged). */
  contentEncoding?: string;
  /** Extra headers; `null` removes one (e.g. `"content-length": null` -> chunked). */
  headers?: Record<string, string | null>;
}

export interface RouteSpec {
  body: Uint8Array | (() => Uint8Array);
  contentType?: string;
  headers?: Record<string, string>;
  etag?: string;
  lastModified?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  range: string | undefined;
  /** Real time (performance.now()) when the request arrived. */
  time: number;
  status: number;
  /** Body bytes written for this request so far. */
  bytesServed: number;
  /** Client port: requests sharing one are on one keep-alive connection. */
  remotePort: number | undefined;
}

interface FaultState {
  plans: FaultPlan | FaultPlan[];
  used: number;
}

type Route = { kind: "body"; spec: RouteSpec } | { kind: "redirect"; to: string; status: number };

const CHUNK = 16 * 1024;

/** `n` copies of `plan`, for "the first n requests fail" bursts. */
export function burst(n: number, plan: FaultPlan): FaultPlan[] {
  return Array.from({ length: n }, () => plan);
}

export class FaultServer {
  readonly #server = createServer((req, res) => {
    void this.#handle(req, res);
  });
  readonly #sockets = new Set<Socket>();
  readonly #routes = new Map<string, Route>();
  readonly #faults = new Map<string, FaultState>();
  readonly #waits = new Set<() => void>();
  #closed = false;
  #changes = 0;
  /** Every request in arrival order. */
  readonly requests: RecordedRequest[] = [];
  port = 0;

  private constructor() {
    this.#server.keepAliveTimeout = 60_000;
    this.#server.on("connection", (s) => {
      this.#sockets.add(s);
      s.on("close", () => this.#sockets.delete(s));
    });
  }

  static async start(): Promise<FaultServer> {
    const s = new FaultServer();
    await new Promise<void>((resolve, reject) => {
      s.#server.once("error", reject);
      s.#server.listen(0, "127.0.0.1", () => resolve());
    });
    s.port = (s.#server.address() as AddressInfo).port;
    return s;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  /** URL serving `bodyBytes(seed, length)`; `tag` makes distinct paths with the same bytes. */
  bytesUrl(seed: number, length: number, tag = ""): string {
    return this.url(`/bytes/${seed}/${length}${tag ? `/${tag}` : ""}`);
  }

  /** Serve fixed bytes (or bytes computed per request) at `path`. Returns the URL. */
  route(path: string, spec: RouteSpec): string {
    this.#routes.set(path, { kind: "body", spec });
    return this.url(path);
  }

  /** `path` redirects to `to` (absolute URL or path). Chains and loops are built from these. */
  redirect(path: string, to: string, status = 302): string {
    this.#routes.set(path, { kind: "redirect", to, status });
    return this.url(path);
  }

  /** Replace the fault plan of `path` (`"*"` = default for every path); resets its counter. */
  setFaults(path: string, plans: FaultPlan | FaultPlan[]): void {
    this.#faults.set(path, { plans, used: 0 });
  }

  clearFaults(path?: string): void {
    if (path === undefined) this.#faults.clear();
    else this.#faults.delete(path);
  }

  /** Requests to `path` (all when omitted), optionally only one method. */
  requestsTo(path?: string, method?: string): RecordedRequest[] {
    return this.requests.filter(
      (r) =>
        (path === undefined || r.path === path) && (method === undefined || r.method === method),
    );
  }

  gets(path?: string): number {
    return this.requestsTo(path, "GET").length;
  }

  bytesServed(path?: string): number {
    return this.requestsTo(path).reduce((n, r) => n + r.bytesServed, 0);
  }

  get openSockets(): number {
    return this.#sockets.size;
  }

  /** End every stall in progress now (the answers continue as if the stall had timed out). */
  releaseStalls(): void {
    for (const w of [...this.#waits]) w();
  }

  /** Destroy every socket, end every stall and stop listening. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const w of [...this.#waits]) w();
    this.#waits.clear();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #planFor(path: string): FaultPlan {
    const state = this.#faults.get(path) ?? this.#faults.get("*");
    if (!state) return {};
    if (!Array.isArray(state.plans)) return state.plans;
    const p = state.plans[state.used];
    state.used++;
    return p ?? {};
  }

  /** Resolves after `ms`, or at once when the response closes or the server shuts down. */
  #wait(ms: number, res: ServerResponse): Promise<void> {
    if (this.#closed || res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (timer) clearTimeout(timer);
        res.off("close", done);
        this.#waits.delete(done);
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      res.on("close", done);
      this.#waits.add(done);
    });
  }

  /** Generated bodies, cached (a few entries) so repeated requests do not regenerate them. */
  readonly #bodies = new Map<string, Uint8Array>();

  #generated(seed: number, len: number): Uint8Array {
    const key = `${seed}/${len}`;
    let b = this.#bodies.get(key);
    if (!b) {
      b = bodyBytes(seed, len);
      if (this.#bodies.size >= 8) this.#bodies.delete(this.#bodies.keys().next().value ?? "");
      this.#bodies.set(key, b);
    }
    return b;
  }

  #resolve(path: string): { route: Route; spec?: RouteSpec; defaultEtag?: string } | undefined {
    const r = this.#routes.get(path);
    if (r) return { route: r };
    const m = /^\/bytes\/(\d+)\/(\d+)(?:\/.*)?$/.exec(path);
    if (!m) return undefined;
    const seed = Number(m[1]);
    const len = Number(m[2]);
    return {
      route: { kind: "body", spec: { body: () => this.#generated(seed, len) } },
      defaultEtag: `"b${seed}-${len}"`,
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const rec: RecordedRequest = {
      method: req.method ?? "GET",
      path,
      headers: { ...req.headers },
      range: req.headers.range,
      time: performance.now(),
      status: 0,
      bytesServed: 0,
      remotePort: req.socket.remotePort,
    };
    this.requests.push(rec);
    const plan = this.#planFor(path);
    try {
      if (plan.stallBeforeHeadersMs !== undefined) {
        await this.#wait(plan.stallBeforeHeadersMs, res);
        if (this.#closed || res.destroyed) return;
      }
      if (plan.status !== undefined) return await this.#sendStatus(res, rec, plan);
      if (plan.redirectTo !== undefined) {
        return this.#sendRedirect(res, rec, plan.redirectTo, plan.redirectStatus ?? 302);
      }
      const found = this.#resolve(path);
      if (!found)
        return await this.#sendStatus(res, rec, { status: 404, body: `no route ${path}` });
      if (found.route.kind === "redirect") {
        return this.#sendRedirect(res, rec, found.route.to, found.route.status);
      }
      await this.#sendBody(req, res, rec, plan, found.route.spec, found.defaultEtag);
    } catch {
      res.destroy();
    }
  }

  async #sendStatus(res: ServerResponse, rec: RecordedRequest, plan: FaultPlan): Promise<void> {
    const status = plan.status ?? 500;
    const body = Buffer.from(plan.body ?? `error ${status}`);
    rec.status = status;
    res.statusCode = status;
    res.setHeader("content-type", plan.contentType ?? "text/plain");
    res.setHeader("content-length", body.length);
    if (plan.retryAfter !== undefined) res.setHeader("retry-after", plan.retryAfter);
    this.#applyHeaders(res, plan.headers);
    // `stallAfter` also stalls an error body (NET-2: reading an error body is guarded).
    const cut =
      plan.stallAfter === undefined ? body.length : Math.min(plan.stallAfter, body.length);
    res.flushHeaders();
    res.write(body.subarray(0, cut));
    rec.bytesServed = cut;
    if (cut < body.length) {
      await this.#wait(plan.stallMs ?? Number.POSITIVE_INFINITY, res);
      if (this.#closed || res.destroyed) return;
      rec.bytesServed = body.length;
    }
    res.end(body.subarray(cut));
  }

  #sendRedirect(res: ServerResponse, rec: RecordedRequest, to: string, status: number): void {
    rec.status = status;
    res.statusCode = status;
    res.setHeader("location", to);
    res.setHeader("content-length", 0);
    res.end();
  }

  #applyHeaders(res: ServerResponse, headers: Record<string, string | null> | undefined): void {
    for (const [k, v] of Object.entries(headers ?? {})) {
      if (v === null) res.removeHeader(k);
      else res.setHeader(k, v);
    }
  }

  async #sendBody(
    req: IncomingMessage,
    res: ServerResponse,
    rec: RecordedRequest,
    plan: FaultPlan,
    spec: RouteSpec,
    defaultEtag: string | undefined,
  ): Promise<void> {
    let full = typeof spec.body === "function" ? spec.body() : spec.body;
    let contentType = spec.contentType ?? "application/octet-stream";
    if (plan.html) {
      full = new TextEncoder().encode(
        "<!DOCTYPE html><html><head><title>Captive portal</title></head><body>Sign in</body></html>",
      );
      contentType = "text/html; charset=utf-8";
    }
    if (plan.contentType !== undefined) contentType = plan.contentType;
    const total = full.length;
    let etag = spec.etag ?? defaultEtag;
    if (plan.changeEtag) etag = `"${(etag ?? '"r"').replaceAll('"', "")}-r${++this.#changes}"`;

    // Range + If-Range (RFC 9110): a validator mismatch means "send the whole thing".
    // An HTML error page (a captive portal, a CDN error) answers 200 whatever was asked.
    let range = plan.ignoreRange || plan.html ? undefined : parseRange(req.headers.range, total);
    const ifRange = req.headers["if-range"];
    if (range && typeof ifRange === "string") {
      const matches =
        ifRange.startsWith('"') || ifRange.startsWith("W/")
          ? etag !== undefined && ifRange === etag && !etag.startsWith("W/")
          : spec.lastModified !== undefined && ifRange === spec.lastModified;
      if (!matches) range = undefined;
    }
    if (range === "unsatisfiable") {
      rec.status = 416;
      res.statusCode = 416;
      res.setHeader("content-range", `bytes */${total}`);
      res.setHeader("content-length", 0);
      res.end();
      return;
    }

    let slice = full;
    res.statusCode = 200;
    if (range) {
      slice = full.subarray(range.start, range.end + 1);
      res.statusCode = 206;
      const cr = plan.contentRange;
      let value: string | undefined = `bytes ${range.start}-${range.end}/${total}`;
      if (cr === "missing") value = undefined;
      else if (cr === "wrong") value = `bytes ${range.start + 1}-${range.end}/${total}`;
      else if (typeof cr === "function") value = cr(range.start, range.end, total);
      else if (typeof cr === "string") value = cr;
      if (value !== undefined) res.setHeader("content-range", value);
    }
    if (plan.okStatus !== undefined) res.statusCode = plan.okStatus;
    rec.status = res.statusCode;
    res.setHeader("content-type", contentType);
    res.setHeader("accept-ranges", "bytes");
    if (etag !== undefined) res.setHeader("etag", etag);
    if (spec.lastModified !== undefined) res.setHeader("last-modified", spec.lastModified);
    for (const [k, v] of Object.entries(spec.headers ?? {})) res.setHeader(k, v);
    if (plan.contentEncoding !== undefined) res.setHeader("content-encoding", plan.contentEncoding);

    let limit = slice.length;
    let endMode: "end" | "fin" | "reset" = "end";
    if (plan.truncateAfter !== undefined && plan.truncateAfter < limit) {
      limit = plan.truncateAfter;
      endMode = plan.honestLength ? "end" : "fin";
    }
    if (plan.resetAfter !== undefined && plan.resetAfter < limit) {
      limit = plan.resetAfter;
      endMode = "reset";
    }
    res.setHeader("content-length", plan.honestLength ? limit : slice.length);
    this.#applyHeaders(res, plan.headers);

    if (req.method === "HEAD") {
      res.end();
      return;
    }
    res.flushHeaders();

    let pos = 0;
    const stallAt = plan.stallAfter ?? -1;
    let stalled = false;
    const startTime = performance.now();
    while (pos < limit) {
      if (this.#closed || res.destroyed) return;
      if (!stalled && pos >= stallAt && stallAt >= 0) {
        stalled = true;
        await this.#wait(plan.stallMs ?? Number.POSITIVE_INFINITY, res);
        continue;
      }
      let n = Math.min(CHUNK, limit - pos);
      if (!stalled && stallAt > pos) n = Math.min(n, stallAt - pos);
      const rate = plan.dripBytesPerSec;
      if (rate !== undefined) {
        n = Math.min(n, Math.max(1, Math.floor(rate / 20)));
        const due = startTime + (pos / rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await this.#wait(wait, res);
        if (this.#closed || res.destroyed) return;
      }
      const chunk = slice.subarray(pos, pos + n);
      pos += n;
      rec.bytesServed += n;
      if (!res.write(chunk)) await waitDrain(res);
    }
    if (endMode === "end") res.end();
    else if (endMode === "fin") {
      // Flush what was written, then close the connection cleanly: an early EOF.
      res.socket?.end();
    } else {
      // Let written bytes reach the client before the reset.
      await new Promise<void>((resolve) => res.write("", () => resolve()));
      res.socket?.resetAndDestroy();
    }
  }
}

function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** Single `bytes=` ranges only (a multi-range request is answered with the whole body). */
function parseRange(
  header: string | undefined,
  total: number,
): { start: number; end: number } | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return undefined;
  if (a === "") {
    const n = Number(b);
    if (n === 0) return "unsatisfiable";
    return { start: Math.max(0, total - n), end: total - 1 };
  }
  const start = Number(a);
  if (start >= total) return "unsatisfiable";
  const end = b === "" ? total - 1 : Math.min(Number(b), total - 1);
  if (end < start) return undefined;
  return { start, end };
}

export function startFaultServer(): Promise<FaultServer> {
  return FaultServer.start();
}
