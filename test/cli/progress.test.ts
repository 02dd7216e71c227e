import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, formatProgress } from "../../src/cli/progress/format.js";
import { ProgressModel } from "../../src/cli/progress/model.js";
import { ProgressReporter, progressMode } from "../../src/cli/progress/reporter.js";
import { VirtualClock } from "../../src/core/clock.js";
import { EventBus } from "../../src/events/bus.js";

function setup() {
  const clock = new VirtualClock();
  const bus = EventBus.root({ clock });
  const model = new ProgressModel(clock);
  bus.subscribe((e) => model.apply(e));
  return { clock, bus, model };
}

describe("progress model", () => {
  it("CLI-1: HLS progress shows bytes, rate, ETA, segments done/total, the variant and retries", async () => {
    const { clock, bus, model } = setup();
    bus.publish({
      domain: "abr",
      type: "VariantsRegistered",
      peerId: 1,
      variants: [
        { index: 0, bandwidth: 64_000 },
        { index: 1, bandwidth: 128_000 },
      ],
      initial: 0,
    });
    bus.publish({ domain: "hls", type: "PlaylistLoaded", url: "u", kind: "media", segments: 10 });
    for (let i = 0; i < 4; i++) {
      await clock.advance(500);
      bus.publish({
        domain: "downloader",
        type: "RequestCompleted",
        requestId: i,
        peerId: 1,
        bytes: 1000,
        duration: 400,
        bandwidthBps: 20_000,
      });
      bus.publish({
        domain: "hls",
        type: "SegmentLoaded",
        variant: 0,
        segment: i,
        bytes: 1000,
        cached: false,
      });
    }
    bus.publish({
      domain: "abr",
      type: "VariantApplied",
      peerId: 1,
      from: 0,
      to: 1,
      reason: "UpSwitch",
    });
    bus.publish({
      domain: "downloader",
      type: "RequestRetrying",
      requestId: 9,
      peerId: 1,
      attempt: 1,
      maxRetries: 3,
      backoff: 100,
      error: { name: "NetError", code: "NET_NETWORK", message: "reset", retryable: true },
    });
    const s = model.snapshot();
    expect(s.bytes).toBe(4000);
    expect(s.rate).toBeCloseTo(2000, 5); // 4000 bytes in 2 s
    expect(s.segmentsDone).toBe(4);
    expect(s.segmentsTotal).toBe(10);
    expect(s.eta).toBeCloseTo(3, 5); // 6 segments x 1000 B at 2000 B/s
    expect(s.variant).toEqual({ index: 1, bandwidth: 128_000 });
    expect(s.retries).toBe(1);
    const line = formatProgress(s);
    expect(line).toContain("3.9 KiB");
    expect(line).toContain("segments 4/10");
    expect(line).toContain("variant #1 128 kbit/s");
    expect(line).toContain("ETA 0:03");
    expect(line).toContain("retries 1");
    const notices = model.drainNotices().map((n) => n.text);
    expect(notices.some((t) => t.includes("ABR: #0 -> #1 (128 kbit/s) UpSwitch"))).toBe(true);
    expect(notices.some((t) => t.includes("retry 1/3"))).toBe(true);
    expect(model.drainNotices()).toEqual([]);
  });

  it("CLI-1: progressive progress uses the known total; the rate covers only the recent window", async () => {
    const { clock, bus, model } = setup();
    bus.publish({ domain: "file", type: "TotalBytesResolved", url: "f", total: 100_000 });
    await clock.advance(1000);
    bus.publish({ domain: "file", type: "Progress", url: "f", downloaded: 10_000, total: 100_000 });
    await clock.advance(10_000); // idle: the rate decays to 0 over the window
    expect(model.snapshot().rate).toBe(0);
    expect(model.snapshot().eta).toBeNull();
    bus.publish({ domain: "file", type: "Progress", url: "f", downloaded: 40_000, total: 100_000 });
    await clock.advance(1000);
    const s = model.snapshot();
    expect(s.bytes).toBe(40_000);
    expect(s.rate).toBeCloseTo(10_000, 5); // 30 000 B within the 3 s window
    expect(s.eta).toBeCloseTo(6, 5);
    expect(formatProgress(s)).toContain("(40%)");
  });

  it("CLI-1: formatting of sizes and durations", async () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(300 * 1024 * 1024)).toBe("300 MiB");
    expect(formatDuration(65)).toBe("1:05");
    expect(formatDuration(3725)).toBe("1:02:05");
  });
});

describe("progress reporter", () => {
  it("CLI-1: without a TTY it prints plain lines, and nothing in quiet/json mode", async () => {
    expect(progressMode({ isTTY: true }, {})).toBe("tty");
    expect(progressMode({ isTTY: false }, {})).toBe("plain");
    expect(progressMode({ isTTY: true, rows: 0 }, {})).toBe("plain");
    expect(progressMode({ isTTY: true }, { quiet: true })).toBe("off");
    expect(progressMode({ isTTY: true }, { json: true })).toBe("off");

    const clock = new VirtualClock();
    const bus = EventBus.root({ clock });
    const out: string[] = [];
    const stream = {
      write: (s: string) => out.push(s),
      isTTY: false,
    } as unknown as NodeJS.WritableStream;
    const rep = new ProgressReporter({ mode: "plain", stream, clock, plainIntervalMs: 1000 });
    rep.attach(bus);
    bus.publish({ domain: "file", type: "Progress", url: "f", downloaded: 2048, total: 4096 });
    await clock.advance(1000);
    expect(out.join("")).toMatch(/^\[0:01\] 2\.0 KiB \/ 4\.0 KiB \(50%\)/m);
    rep.close();
    const n = out.length;
    await clock.advance(5000);
    expect(out.length).toBe(n); // timer stopped
    expect(bus.subscriberCount).toBe(0);

    const quiet: string[] = [];
    const q = new ProgressReporter({
      mode: "off",
      stream: { write: (s: string) => quiet.push(s) } as unknown as NodeJS.WritableStream,
      clock,
    });
    q.attach(bus);
    bus.publish({ domain: "file", type: "Progress", url: "f", downloaded: 1, total: 2 });
    await clock.advance(5000);
    q.close();
    expect(quiet).toEqual([]);
    expect(q.model.snapshot().bytes).toBe(1);
  });
});
