import { describe, expect, it } from "vitest";
import { NetError } from "../../src/core/errors.js";
import type { ResponseInfo } from "../../src/dl/types.js";
import { acceptResponse, isHlsContentType } from "../../src/file/checks.js";

function res(status: number, headers: Record<string, string>, total: number | null): ResponseInfo {
  return {
    status,
    url: "http://x/f",
    headers,
    partial: status === 206,
    total,
    expectedLength: null,
  };
}

function decodeError(fn: () => unknown): NetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NetError);
    expect((e as NetError).kind).toBe("Decode");
    return e as NetError;
  }
  throw new Error("expected a Decode error");
}

describe("acceptResponse", () => {
  it("FILE-4: a content-range matching the request exactly is accepted at its offset", () => {
    const a = acceptResponse(
      { start: 100, end: 200 },
      res(206, { "content-range": "bytes 100-199/1000" }, 1000),
      undefined,
    );
    expect(a).toEqual({ offset: 100, total: 1000, whole: false });
    const open = acceptResponse(
      { start: 100 },
      res(206, { "content-range": "bytes 100-999/1000" }, 1000),
      1000,
    );
    expect(open.offset).toBe(100);
  });

  it("FILE-4: a content-range that does not match the request is a Decode error", () => {
    decodeError(() =>
      acceptResponse(
        { start: 100, end: 200 },
        res(206, { "content-range": "bytes 100-149/1000" }, 1000),
        undefined,
      ),
    );
    decodeError(() =>
      acceptResponse(
        { start: 100 },
        res(206, { "content-range": "bytes 100-500/1000" }, 1000),
        undefined,
      ),
    );
    decodeError(() =>
      acceptResponse(
        { start: 100 },
        res(206, { "content-range": "bytes 100-999/*" }, null),
        undefined,
      ),
    );
    decodeError(() =>
      acceptResponse(undefined, res(206, { "content-range": "bytes 0-9/10" }, 10), undefined),
    );
  });

  it("FILE-4: a server that ignored a range from 0 is accepted as the full file", () => {
    expect(acceptResponse({ start: 0, end: 4096 }, res(200, {}, 10_000), undefined)).toEqual({
      offset: 0,
      total: 10_000,
      whole: true,
    });
  });

  it("FILE-4: a total that contradicts the known one is an error", () => {
    const e = decodeError(() => acceptResponse(undefined, res(200, {}, 999), 1000));
    expect(e.message).toMatch(/contradicts/);
    decodeError(() =>
      acceptResponse({ start: 10 }, res(206, { "content-range": "bytes 10-998/999" }, 999), 1000),
    );
  });

  it("RES-1: HLS content-types are recognised case-insensitively", () => {
    expect(isHlsContentType("application/vnd.apple.mpegurl")).toBe(true);
    expect(isHlsContentType("Audio/X-MpegURL; charset=utf-8")).toBe(true);
    expect(isHlsContentType("audio/mpeg")).toBe(false);
    expect(isHlsContentType(undefined)).toBe(false);
  });
});
