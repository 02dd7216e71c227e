/**
 * A TCP relay that adds one-way latency to every chunk in both directions (netem-like delay,
 * used because `tc netem` is unavailable on this kernel) and counts the bytes the origin sent.
 * Order is kept per direction; every client (ffmpeg, yt-dlp, streamlink, plectrum) sees the
 * same round-trip time.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface DelayProxy {
  port: number;
  /** Bytes relayed from the origin to clients since the last `resetCount()`. */
  bytesDown(): number;
  resetCount(): void;
  close(): Promise<void>;
}

function delayedPipe(from: Socket, to: Socket, delayMs: number, count?: (n: number) => void): void {
  let last = 0;
  from.on("data", (chunk: Buffer) => {
    count?.(chunk.length);
    // Never deliver before an earlier chunk: keeps the byte order of the direction.
    const due = Math.max(Date.now() + delayMs, last);
    last = due;
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, due - Date.now());
  });
  from.on("end", () => setTimeout(() => to.end(), Math.max(0, last - Date.now()) + 1));
  from.on("error", () => to.destroy());
}

/** Relay 127.0.0.1:<free port> -> 127.0.0.1:`targetPort` with `rttMs` added round trip. */
export async function startDelayProxy(targetPort: number, rttMs: number): Promise<DelayProxy> {
  let down = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
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
    resetCount: () => {
      down = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
