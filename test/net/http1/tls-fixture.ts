/**
 * Self-signed test certificates, committed (test-only keys, valid until 2126) so the TLS tests
 * need nothing but Node: `npm test` stays hermetic. Made with
 *   openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=<cn> -addext subjectAltName=<san>
 *     -days 36500 -keyout <name>.key.pem -out <name>.cert.pem
 * `localhost`: CN=localhost, SAN DNS:localhost + IP:127.0.0.1. `other`: CN/SAN other.invalid.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface KeyPair {
  key: string;
  cert: string;
}

export function selfSigned(name: "localhost" | "other" = "localhost"): KeyPair {
  const file = (kind: string) =>
    readFileSync(join(import.meta.dirname, "fixtures", `${name}.${kind}.pem`), "utf8");
  return { key: file("key"), cert: file("cert") };
}
