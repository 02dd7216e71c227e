import { describe, expect, it } from "vitest";
import { errorInfo, isRetryable, NetError, PlectrumError } from "../../src/core/errors.js";

describe("typed errors", () => {
  it("CORE-3, NET-3: transient kinds and statuses are retryable, everything else fatal", () => {
    expect(new NetError("Timeout", "t").retryable).toBe(true);
    expect(new NetError("Network", "n").retryable).toBe(true);
    for (const status of [500, 502, 503, 504, 429, 408]) {
      expect(new NetError("Status", "s", { status }).retryable).toBe(true);
    }
    for (const status of [400, 401, 403, 404, 410, 416]) {
      expect(new NetError("Status", "s", { status }).retryable).toBe(false);
    }
    for (const kind of [
      "Decode",
      "Cancelled",
      "RetryExhausted",
      "InvalidContentType",
      "TooLarge",
      "Unsupported",
    ] as const) {
      expect(new NetError(kind, "x", { status: 503 }).retryable).toBe(false);
    }
    expect(isRetryable(new Error("plain"))).toBe(false);
  });

  it("CORE-3: NetError carries kind, status, url, cause and a stable code", () => {
    const cause = new Error("socket hang up");
    const e = new NetError("Status", "HTTP 503", {
      status: 503,
      url: "http://h/x",
      cause,
      body: "busy",
    });
    expect(e).toBeInstanceOf(PlectrumError);
    expect(e.code).toBe("NET_STATUS");
    expect(e.name).toBe("NetError");
    expect(e.cause).toBe(cause);
    expect(e.url).toBe("http://h/x");
    expect(e.body).toBe("busy");
  });

  it("CORE-3, EVT-4: errorInfo is plain JSON for every kind of thrown value", () => {
    const info = errorInfo(new NetError("Status", "HTTP 404", { status: 404, url: "http://h/y" }));
    expect(JSON.parse(JSON.stringify(info))).toEqual({
      name: "NetError",
      code: "NET_STATUS",
      message: "HTTP 404",
      kind: "Status",
      status: 404,
      url: "http://h/y",
      retryable: false,
    });
    expect(errorInfo(new PlectrumError("X", "y")).code).toBe("X");
    expect(errorInfo(new TypeError("bad")).name).toBe("TypeError");
    expect(errorInfo("oops").message).toBe("oops");
  });
});
