/**
 * The local file server benchmarks download from: nginx when it is installed (BENCH-3 names
 * it), else a small Node server with Range support. Loopback only.
 */
import { spawn, spawnSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, dirname, join } from "node:path";

export interface StaticServer {
  /** "nginx 1.22.1" or "node http". */
  readonly kind: string;
  readonly url: string;
  close(): Promise<void>;
}

function nginxVersion(): string | undefined {
  const r = spawnSync("nginx", ["-v"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return undefined;
  return /nginx\/(\S+)/.exec(r.stderr)?.[1];
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function startNginx(file: string, version: string, workDir: string): Promise<StaticServer> {
  const port = await freePort();
  const prefix = join(workDir, "nginx");
  await mkdir(join(prefix, "logs"), { recursive: true });
  const conf = join(prefix, "nginx.conf");
  await writeFile(
    conf,
    `daemon off;
worker_processes 1;
pid ${join(prefix, "nginx.pid")};
error_log ${join(prefix, "logs", "error.log")} warn;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${dirname(file)};
  }
}
`,
  );
  const child = spawn("nginx", ["-p", prefix, "-c", conf], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}/${basename(file)}`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(url, { method: "HEAD" }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    kind: `nginx ${version}`,
    url,
    close: async () => {
      child.kill("SIGQUIT");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

async function startNode(file: string): Promise<StaticServer> {
  const size = (await stat(file)).size;
  const name = `/${basename(file)}`;
  const server = createServer((req, res) => {
    if (req.url !== name) {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = m ? Number(m[1]) : 0;
    const end = m?.[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    const headers: Record<string, string> = {
      "content-type": "application/octet-stream",
      "content-length": String(end - start + 1),
      "accept-ranges": "bytes",
      etag: `"${size}"`,
    };
    if (m) headers["content-range"] = `bytes ${start}-${end}/${size}`;
    res.writeHead(m ? 206 : 200, headers);
    if (req.method === "HEAD") res.end();
    else createReadStream(file, { start, end, highWaterMark: 256 * 1024 }).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    kind: "node http",
    url: `http://127.0.0.1:${port}${name}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Serve `file` from nginx if installed (unless `forceNode`), else from Node. */
export async function serveFile(
  file: string,
  workDir: string,
  forceNode = false,
): Promise<StaticServer> {
  const version = forceNode ? undefined : nginxVersion();
  return version ? startNginx(file, version, workDir) : startNode(file);
}
