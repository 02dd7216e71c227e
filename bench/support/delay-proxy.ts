/**
 * A TCP relay that adds one-way latency to every chunk in both directions (netem-like delay,
 * used because `tc netem` is unavailable on this kernel) and counts the bytes the origin sent.
 * Order is kept per direction; every client (ffmpeg, yt-dlp, streamlink, plectrum, curl,
 * aria2c) sees the same round-trip time. Used by BENCH-4 and, with `--rtt`, BENCH-3/5.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * What the relay saw, in `performance.now()` ms: a client connection opened, a request line
 * arrived from the client (`path`), a response's first bytes arrived from the origin (they
 * reach the client RTT/2 later).
 */
export interface RelayEvent {
  t: number;
  conn: number;
  kind: "open" | "request" | "response";
  path?: string;
}

export interface DelayProxy {
  port: number;
  /** Bytes relayed from the origin to clients since the last `resetCount()`. */
  bytesDown(): number;
  /** Events since the last `resetCount()`. */
  events(): readonly RelayEvent[];
  resetCount(): void;
  close(): Promise<void>;
}

/** Bytes one direction may hold before its source is paused (a bandwidth-delay window). */
const RELAY_WINDOW = 32 * 1024 * 1024;

const REQUEST_LINE = /^(?:GET|HEAD) (\S+) HTTP\/1\.[01]\r?$/gm;

/**
 * Forward `from` -> `to`, each chunk `delayMs` after it arrived, strictly in arrival order: one
 * FIFO and one timer per direction. (A timer per chunk is not enough: two timers with the same
 * due time but different durations may fire in either order, which reordered bytes inside
 * HTTP responses and made clients see garbage or silently corrupt bodies.)
 */
function delayedPipe(from: Socket, to: Socket, delayMs: number, count?: (n: number) => void): void {
  const queue: { due: number; chunk: Buffer | null }[] = [];
  let timer: NodeJS.Timeout | null = null;
  // Back-pressure with a window, like TCP's: the source is paused only when more than
  // RELAY_WINDOW bytes wait in the relay (delay queue + unsent socket buffer), and resumed
  // below half of it. Pausing at the first full socket buffer instead would leave a
  // `delayMs` gap after every resume and penalise clients that read a little slower.
  let held = 0;
  let paused = false;
  const waiting = () => held + to.writableLength;
  const maybeResume = (): void => {
    if (paused && waiting() < RELAY_WINDOW / 2) {
      paused = false;
      from.resume();
    }
  };
  const pump = (): void => {
    timer = null;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.due <= now) {
      const { chunk } = queue.shift()!;
      if (to.destroyed) return;
      if (chunk === null) to.end();
      else {
        held -= chunk.length;
        to.write(chunk);
      }
    }
    maybeResume();
    const head = queue[0];
    if (head) timer = setTimeout(pump, Math.max(0, head.due - now));
  };
  const push = (chunk: Buffer | null): void => {
    queue.push({ due: performance.now() + delayMs, chunk });
    if (timer === null) timer = setTimeout(pump, delayMs);
  };
  from.on("data", (chunk: Buffer) => {
    count?.(chunk.length);
    held += chunk.length;
    push(chunk);
    if (!paused && waiting() > RELAY_WINDOW) {
      paused = true;
      from.pause();
    }
  });
  to.on("drain", maybeResume);
  from.on("end", () => push(null));
  from.on("error", () => to.destroy());
  to.on("close", () => {
    // Nothing queued can be delivered any more.
    if (timer !== null) clearTimeout(timer);
    queue.length = 0;
  });
}

/** Relay 127.0.0.1:<free port> -> 127.0.0.1:`targetPort` with `rttMs` added round trip. */
export async function startDelayProxy(targetPort: number, rttMs: number): Promise<DelayProxy> {
  let down = 0;
  let log: RelayEvent[] = [];
  let conns = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const conn = ++conns;
    log.push({ t: performance.now(), conn, kind: "open" });
    // Clients send no bodies here, so every request line starts a request.
    client.on("data", (chunk: Buffer) => {
      for (const m of chunk.toString("latin1").matchAll(REQUEST_LINE)) {
        log.push({ t: performance.now(), conn, kind: "request", path: m[1] ?? "" });
      }
    });
    const upstream = connect(targetPort, "127.0.0.1");
    // Nobody pipelines, so a response starts a chunk.
    upstream.on("data", (chunk: Buffer) => {
      if (chunk.subarray(0, 7).toString("latin1") === "HTTP/1.") {
        log.push({ t: performance.now(), conn, kind: "response" });
      }
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.setNoDelay(true);
    }
    delayedPipe(client, upstream, rttMs / 2);
    delayedPipe(upstream, client, rttMs / 2, (n) => {
      down += n;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    port,
    bytesDown: () => down,
    events: () => log,
    resetCount: () => {
      down = 0;
      log = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
