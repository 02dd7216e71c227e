/**
 * A self-signed certificate (by default CN=localhost, SAN DNS:localhost + IP:127.0.0.1), made with
 * openssl at test startup in a temp dir (valid one day). openssl ships with the dev and CI
 * images; without it the TLS tests fail with this message rather than pass vacuously.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KeyPair {
  key: string;
  cert: string;
}

export function selfSigned(cn = "localhost", san = "DNS:localhost,IP:127.0.0.1"): KeyPair {
  const dir = mkdtempSync(join(tmpdir(), "plectrum-tls-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    // biome-ignore format: one openssl option per line
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes",
      "-subj", `/CN=${cn}`,
      "-addext", `subjectAltName=${san}`,
      "-days", "1",
      "-keyout", key, "-out", cert,
    ], { stdio: "pipe" });
    return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
  } catch (e) {
    throw new Error(`cannot make a self-signed certificate with openssl: ${String(e)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
