import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleServer, startSampleServer } from "../../src/cli/demo/sample-server.js";
import { decodedDuration, probe } from "./support/ffprobe.js";

describe("demo sample stream, played by ffmpeg", () => {
  let srv: SampleServer;
  beforeAll(async () => {
    srv = await startSampleServer({ segments: 5, bytesPerSecond: 0 });
  });
  afterAll(async () => {
    await srv.close();
  });

  it("CLI-4: ffprobe reads the generated multi-variant stream (FLAC, 10 s) and ffmpeg decodes every variant", async () => {
    const p = await probe(srv.url);
    expect(p.audioCodec).toBe("flac");
    expect(p.duration).toBeCloseTo(10, 1);
    for (let v = 0; v < srv.variants; v++) {
      expect(await decodedDuration(srv.url, { map: `0:a:${v}` })).toBeGreaterThan(9.9);
    }
  });
});
