/** Who may use the proxy (CLI-2): loopback clients only, unless `--allow-remote`. */
import { isIP } from "node:net";

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.y.z). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.toLowerCase();
  if (a === "::1") return true;
  const v4 = a.startsWith("::ffff:") ? a.slice(7) : a;
  return isIP(v4) === 4 && v4.startsWith("127.");
}

/** True when `host` (a bind address) is a loopback address or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || isLoopback(host);
}
