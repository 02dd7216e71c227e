import { describe, expect, it } from "vitest";
import { CliError, classify, ExitCode } from "../../src/cli/exit-codes.js";
import type { CommandHandlers } from "../../src/cli/program.js";
import { runCli } from "../../src/cli/run.js";
import { NetError, PlectrumError } from "../../src/core/errors.js";

function recorder(fail?: unknown) {
  const calls: Array<[string, unknown[]]> = [];
  const rec =
    (name: string) =>
    async (...args: unknown[]) => {
      calls.push([name, args]);
      if (fail !== undefined) throw fail;
    };
  const handlers: CommandHandlers = {
    get: rec("get"),
    serve: rec("serve"),
    cacheLs: rec("cacheLs"),
    cacheVerify: rec("cacheVerify"),
    cacheGc: rec("cacheGc"),
    cacheRm: rec("cacheRm"),
    demo: rec("demo"),
  };
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
  };
  return { calls, handlers, io, out, err };
}

describe("exit codes and error lines", () => {
  it("CLI-5: each error class maps to its own exit code and one line naming the URL and a hint", () => {
    const url = "http://h.test/a.m3u8";
    const cases: Array<[unknown, number]> = [
      [new NetError("Network", "connection reset", { url }), ExitCode.Network],
      [new NetError("RetryExhausted", "gave up after 3 retries", { url }), ExitCode.Network],
      [new NetError("Timeout", "no data for 30 s", { url }), ExitCode.Network],
      [new NetError("Status", "HTTP 404", { url, status: 404 }), ExitCode.HttpStatus],
      [new NetError("InvalidContentType", "got text/html", { url }), ExitCode.HttpStatus],
      [new PlectrumError("HLS_PLAYLIST", "line 3: bad EXTINF"), ExitCode.Media],
      [new PlectrumError("STORE_IO", "write failed"), ExitCode.Storage],
      [Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" }), ExitCode.Storage],
      [
        new CliError(ExitCode.Refused, "refusing a file: target", { hint: "pass an http(s) URL" }),
        ExitCode.Refused,
      ],
      [new TypeError("x is undefined"), ExitCode.Internal],
      [
        new PlectrumError("FILE_DOWNLOAD", "download failed", {
          cause: new NetError("RetryExhausted", "gave up", { url }),
        }),
        ExitCode.Network,
      ],
    ];
    const codes = new Set<number>();
    for (const [err, code] of cases) {
      const c = classify(err);
      expect(c.exitCode, String(err)).toBe(code);
      expect(c.line).not.toContain("\n");
      expect(c.line.startsWith("plectrum: ")).toBe(true);
      expect(c.line).toContain("try: ");
      codes.add(c.exitCode);
    }
    expect(codes.size).toBe(6);
    const line = classify(new NetError("Status", "HTTP 404 Not Found", { url, status: 404 })).line;
    expect(line).toBe(`plectrum: HTTP 404 Not Found (${url}); try: check the URL for typos`);
  });

  it("CLI-5: a failing command prints one line without a stack, and the stack only with --verbose", async () => {
    const boom = new NetError("Network", "connect ECONNREFUSED 127.0.0.1:1", {
      url: "http://127.0.0.1:1/x",
    });
    const a = recorder(boom);
    expect(await runCli(["get", "http://127.0.0.1:1/x"], a.handlers, a.io)).toBe(ExitCode.Network);
    expect(a.err.join("").trim().split("\n")).toHaveLength(1);
    expect(a.err.join("")).not.toContain("    at ");

    const b = recorder(boom);
    expect(await runCli(["get", "--verbose", "http://127.0.0.1:1/x"], b.handlers, b.io)).toBe(
      ExitCode.Network,
    );
    expect(b.err.join("")).toContain("    at ");
  });
});

describe("command line parsing", () => {
  it("CLI-1: get parses variant, bit rate, concurrency and output options into typed values", async () => {
    const r = recorder();
    const code = await runCli(
      [
        "get",
        "http://h.test/m.m3u8",
        "-o",
        "out",
        "--variant",
        "2",
        "--max-bitrate",
        "1.5M",
        "--concurrency",
        "8",
        "--abr",
        "auto",
        "--events",
        "e.ndjson",
        "--json",
      ],
      r.handlers,
      r.io,
    );
    expect(code).toBe(0);
    expect(r.calls).toHaveLength(1);
    const [name, [url, opts]] = r.calls[0] as [string, [string, Record<string, unknown>]];
    expect(name).toBe("get");
    expect(url).toBe("http://h.test/m.m3u8");
    expect(opts).toMatchObject({
      output: "out",
      variant: 2,
      maxBitrate: 1_500_000,
      concurrency: 8,
      abr: "auto",
      events: "e.ndjson",
      json: true,
    });
  });

  it("CLI-2, CLI-3, CLI-4: serve defaults to loopback; cache subcommands and demo dispatch", async () => {
    const r = recorder();
    expect(await runCli(["serve"], r.handlers, r.io)).toBe(0);
    expect(r.calls[0]?.[1][0]).toMatchObject({ host: "127.0.0.1", port: 8787, prefetch: 3 });
    expect(await runCli(["cache", "ls", "--cache-dir", "/tmp/c"], r.handlers, r.io)).toBe(0);
    expect(await runCli(["cache", "verify"], r.handlers, r.io)).toBe(0);
    expect(await runCli(["cache", "gc", "--max-bytes", "1000"], r.handlers, r.io)).toBe(0);
    expect(await runCli(["cache", "rm", "a", "b"], r.handlers, r.io)).toBe(0);
    expect(await runCli(["demo"], r.handlers, r.io)).toBe(0);
    expect(r.calls.map((c) => c[0])).toEqual([
      "serve",
      "cacheLs",
      "cacheVerify",
      "cacheGc",
      "cacheRm",
      "demo",
    ]);
    expect(r.calls[3]?.[1][0]).toMatchObject({ maxBytes: 1000 });
    expect(r.calls[4]?.[1][0]).toEqual(["a", "b"]);
  });

  it("CLI-5: usage errors exit 2 and the help lists the exit codes", async () => {
    const r = recorder();
    expect(await runCli(["get"], r.handlers, r.io)).toBe(ExitCode.Usage);
    expect(await runCli(["get", "u", "--variant", "fast"], r.handlers, r.io)).toBe(ExitCode.Usage);
    expect(await runCli(["get", "u", "--max-bitrate", "lots"], r.handlers, r.io)).toBe(
      ExitCode.Usage,
    );
    expect(await runCli(["frobnicate"], r.handlers, r.io)).toBe(ExitCode.Usage);
    expect(r.calls).toEqual([]);
    expect(r.err.join("")).toContain("expected a variant index");
    const h = recorder();
    expect(await runCli(["--help"], h.handlers, h.io)).toBe(0);
    expect(h.out.join("")).toContain("Exit codes:");
    expect(h.out.join("")).toContain("130  interrupted");
  });
});
