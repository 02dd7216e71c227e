import { describe, expect, it } from "vitest";
import type { NetError } from "../../src/core/errors.js";
import { createHttpClient } from "../../src/net/index.js";
import { startFaultServer } from "../support/fault-server.js";
import { BACKENDS, collect, rejection, until } from "./helpers.js";

const KINDS = ["TCPSocketWrap", "TCPServerWrap", "Timeout"];

function handles(kinds: readonly string[]): number {
  return process.getActiveResourcesInfo().filter((r) => kinds.includes(r)).length;
}

describe.each(BACKENDS)("CORE-4 close over %s", (backend) => {
  // The fetch backend's idle sockets belong to the runtime's global pool; timers are ours.
  const kinds = backend === "undici" ? KINDS : ["Timeout"];

  it("CORE-4 NET-1: close() ends bodies and requests in flight and leaves no socket or timer", async () => {
    const baseline = handles(kinds);
    const server = await startFaultServer();
    const client = createHttpClient({ backend, totalDeadlineMs: 60_000 });
    const done = await client.getBytes(server.bytesUrl(61, 10_000));
    expect(done.bytes.length).toBe(10_000);
    server.setFaults("/bytes/61/300000", { stallAfter: 100_000 });
    const s = await client.stream(server.bytesUrl(61, 300_000));
    const reading = collect(s.body);
    reading.catch(() => {});
    server.setFaults("/bytes/61/5", { stallBeforeHeadersMs: Number.POSITIVE_INFINITY });
    const waiting = client.getRange(server.bytesUrl(61, 5), { start: 1 });
    waiting.catch(() => {});
    await until(() => s.consumed === 100_000 && server.gets("/bytes/61/5") === 1, "both stalls");
    expect(handles(kinds)).toBeGreaterThan(baseline);

    await client.close();
    const e1 = (await rejection(reading)) as NetError;
    const e2 = (await rejection(waiting)) as NetError;
    expect(e1.kind).toBe("Cancelled");
    expect(e2.kind).toBe("Cancelled");
    expect(((await rejection(client.getBytes(server.bytesUrl(61, 5)))) as NetError).kind).toBe(
      "Cancelled",
    );
    await server.close();
    await until(() => handles(kinds) <= baseline, "handles back to baseline");
    expect(handles(kinds)).toBeLessThanOrEqual(baseline);
  });
});
