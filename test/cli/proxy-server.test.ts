import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../../src/cli/engine.js";
import { EngineUpstream } from "../../src/cli/proxy/engine-upstream.js";
import { ProxyServer } from "../../src/cli/proxy/server.js";
import { systemClock } from "../../src/core/clock.js";
import { EventBus } from "../../src/events/bus.js";
import { bodyBytes, type FaultServer, startFaultServer } from "../support/fault-server.js";

/** Resolve once `cond()` holds, checking after each event-loop turn (bounded by the test timeout). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

describe("the caching proxy over the real engine (fault server upstream)", () => {
  let origin: FaultServer;
  let cacheDir: string;
  let engine: Engine;
  let upstream: EngineUpstream;
  let proxy: ProxyServer;
  const segs = [0, 1, 2, 3, 4].map((i) => bodyBytes(100 + i, 20_000 + i));
  const via = (url: string) => `${proxy.origin}/proxy?url=${encodeURIComponent(url)}`;

  beforeAll(async () => {
    origin = await startFaultServer();
    const playlist = ["#EXTM3U", "#EXT-X-TARGETDURATION:4", "#EXT-X-MEDIA-SEQUENCE:0"];
    segs.forEach((body, i) => {
      origin.route(`/hls/s${i}.ts`, { body, contentType: "video/mp2t" });
      playlist.push("#EXTINF:4,", `s${i}.ts`);
    });
    playlist.push("#EXT-X-ENDLIST", "");
    origin.route("/hls/index.m3u8", {
      body: new TextEncoder().encode(playlist.join("\n")),
      contentType: "application/vnd.apple.mpegurl",
    });
    cacheDir = await mkdtemp(join(tmpdir(), "plectrum-proxy-test-"));
    engine = await Engine.open({ bus: EventBus.root(), clock: systemClock, cacheDir });
    upstream = new EngineUpstream(engine);
    proxy = await ProxyServer.listen(upstream, {
      host: "127.0.0.1",
      port: 0,
      allowRemote: false,
      prefetch: 2,
    });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
    await engine.close();
    await origin.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it("CLI-2: a playlist comes back rewritten; the first segments are prefetched, and each is fetched upstream once", async () => {
    const text = await (await fetch(via(origin.url("/hls/index.m3u8")))).text();
    const uris = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    expect(uris).toHaveLength(5);
    for (const u of uris) expect(u.startsWith(`${proxy.origin}/r/`)).toBe(true);
    // Prefetch after the playlist: segments 0 and 1 are fetched before the player asks.
    await until(() => origin.gets("/hls/s1.ts") === 1);
    const s0 = new Uint8Array(await (await fetch(uris[0]!)).arrayBuffer());
    expect(Buffer.from(s0).equals(Buffer.from(segs[0]!))).toBe(true);
    // Asking for segment 0 prefetches the two after it.
    await until(() => origin.gets("/hls/s2.ts") === 1);
    for (const i of [1, 2]) {
      const got = new Uint8Array(await (await fetch(uris[i]!)).arrayBuffer());
      expect(Buffer.from(got).equals(Buffer.from(segs[i]!))).toBe(true);
    }
    await until(() => origin.gets("/hls/s4.ts") === 1);
    for (const i of [0, 1, 2, 3, 4]) expect(origin.gets(`/hls/s${i}.ts`)).toBe(1); // served from the cache
  });

  it("CLI-2: Range requests are answered from the engine byte-exact", async () => {
    const url = origin.bytesUrl(7, 300_000);
    const body = bodyBytes(7, 300_000);
    const r = await fetch(via(url), { headers: { range: "bytes=250000-250099" } });
    expect(r.status).toBe(206);
    expect(r.headers.get("content-range")).toBe("bytes 250000-250099/300000");
    expect(
      Buffer.from(await r.arrayBuffer()).equals(Buffer.from(body.subarray(250_000, 250_100))),
    ).toBe(true);
    const whole = Buffer.from(await (await fetch(via(url))).arrayBuffer());
    expect(whole.equals(Buffer.from(body))).toBe(true);
  });

  it("CLI-2, CLI-5: upstream failures map to 404/502 with the one-line reason", async () => {
    const missing = await fetch(via(origin.url("/nope.ts")));
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain(origin.url("/nope.ts"));
    origin.setFaults("/hls/broken.m3u8", { status: 503 });
    const broken = await fetch(via(origin.url("/hls/broken.m3u8")));
    expect(broken.status).toBe(502);
    expect(await broken.text()).toMatch(/^plectrum: .*; try: /);
  });
});
