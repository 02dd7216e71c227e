import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { type FaultServer, startFaultServer } from "../support/fault-server.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
});

describe("Downloader process lifecycle", () => {
  it("DL-17 CORE-4: a downloader that is garbage but not closed does not keep the process alive", async () => {
    const script = fileURLToPath(new URL("./fixtures/abandon.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", script, server.bytesUrl(40, 2048)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill();
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += String(d);
    });
    child.stderr.on("data", (d) => {
      err += String(d);
    });
    // The test timeout bounds a child that never exits; we do not kill it early on a timer.
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(err).toBe("");
    expect(out).toBe("used 2048 2048\n");
    expect(code).toBe(0);
  }, 25_000);
});
