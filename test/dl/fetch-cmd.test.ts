import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Downloader } from "../../src/dl/index.js";
import type { DownloaderEvent } from "../../src/events/domains/downloader.js";
import { bodyBytes, type FaultServer, sha256, startFaultServer } from "../support/fault-server.js";
import { Recorder, ScriptPeer, testClient } from "./harness.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
});

describe("FetchCmd", () => {
  it("DL-3: url, range, headers, method and priority reach the wire and the events; callbacks run in order", async () => {
    const http = testClient();
    const dl = new Downloader({ http });
    const enqueued: DownloaderEvent[] = [];
    dl.bus.subscribe((env) => {
      if (env.event.domain === "downloader" && env.event.type === "RequestEnqueued")
        enqueued.push(env.event);
    });
    const rec = new Recorder();
    const peer = new ScriptPeer("low").attach(dl);
    const got: Uint8Array[] = [];
    const calls: string[] = [];
    const url = server.bytesUrl(9, 50_000, "cmd");
    peer.push(
      rec.cmd("ranged", url, {
        range: { start: 1000, end: 3000 },
        headers: { "x-plectrum-test": "yes", "accept-encoding": "gzip" },
        priority: "high",
        onResponse: (res) => calls.push(`response ${res.status} ${res.partial}`),
        writer: (c) => {
          calls.push("chunk");
          got.push(c);
        },
        onComplete: (bytes) => calls.push(`complete ${bytes}`),
      }),
      rec.cmd("default", server.bytesUrl(9, 10, "default"), { method: "HEAD" }),
    );
    const ranged = await rec.done("ranged");
    await rec.done("default");
    expect(ranged.error).toBeUndefined();
    expect(ranged.response).toMatchObject({ status: 206, partial: true, total: 50_000 });
    expect(sha256(Buffer.concat(got))).toBe(sha256(bodyBytes(9, 50_000).subarray(1000, 3000)));
    const wire = server.requestsTo("/bytes/9/50000/cmd")[0];
    expect(wire?.range).toBe("bytes=1000-2999");
    expect(wire?.headers["x-plectrum-test"]).toBe("yes");
    // NET-7: media requests ask for identity whatever the caller said.
    expect(wire?.headers["accept-encoding"]).toBe("identity");
    expect(server.requestsTo("/bytes/9/10/default", "HEAD")).toHaveLength(1);
    expect(calls[0]).toBe("response 206 true");
    expect(calls.at(-1)).toBe("complete 2000");
    expect(calls.filter((c) => c === "complete 2000")).toHaveLength(1);
    expect(enqueued.map((e) => e.type === "RequestEnqueued" && [e.method, e.priority])).toEqual([
      ["GET", "high"],
      ["HEAD", "low"], // an absent command priority is low
    ]);
    await dl.close();
    await http.close();
  });
});
