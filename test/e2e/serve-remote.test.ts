import { mkdtemp, rm } from "node:fs/promises";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plectrumBackground } from "./support/cli.js";

/** A non-loopback IPv4 address of this machine: requests from it are "remote". */
function externalAddress(): string {
  const a = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && !i.internal && i.family === "IPv4");
  if (!a) throw new Error("this test needs a non-loopback IPv4 interface");
  return a.address;
}

describe("plectrum serve: who may connect", () => {
  const address = externalAddress();
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "plectrum-e2e-remote-"));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("CLI-2: bound to all interfaces, requests from a non-loopback address get 403 unless --allow-remote", async () => {
    const target = encodeURIComponent("http://127.0.0.1:9/none.bin");
    const refused = await plectrumBackground(
      ["serve", "--host", "0.0.0.0", "--port", "0", "--cache-dir", join(work, "a")],
      /plectrum proxy on http:\/\/0\.0\.0\.0:(\d+)/,
    );
    try {
      const port = refused.match[1]!;
      const r = await fetch(`http://${address}:${port}/proxy?url=${target}`);
      expect(r.status).toBe(403);
      expect(await r.text()).toContain("only loopback clients are allowed");
      // The same proxy still serves loopback clients (here: an unreachable origin -> 502).
      expect((await fetch(`http://127.0.0.1:${port}/proxy?url=${target}`)).status).toBe(502);
    } finally {
      expect((await refused.stop()).code).toBe(0);
    }
    const allowed = await plectrumBackground(
      [
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "0",
        "--allow-remote",
        "--cache-dir",
        join(work, "b"),
      ],
      /plectrum proxy on http:\/\/0\.0\.0\.0:(\d+)/,
    );
    try {
      const r = await fetch(`http://${address}:${allowed.match[1]}/proxy?url=${target}`);
      expect(r.status).toBe(502);
    } finally {
      await allowed.stop();
    }
  });
});
