/**
 * A throwaway nginx on loopback: generated config, temp prefix, a free port, foreground
 * single process (no root needed beyond reading the served files), stopped and cleaned up.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Nginx {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  root: string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (bind :0, read, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function config(prefix: string, root: string, port: number): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${prefix}/access.log;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  sendfile on;
  keepalive_requests 100000;
  types {
    application/vnd.apple.mpegurl m3u8;
    video/mp2t ts;
    audio/aac aac;
    audio/mp4 m4a m4s mp4;
    application/octet-stream bin key;
  }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { }
  }
}
`;
}

async function waitForPort(port: number, child: ChildProcess, deadlineMs: number): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < deadlineMs) {
    if (child.exitCode !== null) throw new Error(`nginx exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port} within ${deadlineMs} ms`);
}

/** Start nginx serving `root` on a free loopback port. */
export async function startNginx(root: string): Promise<Nginx> {
  const prefix = await mkdtemp(join(tmpdir(), "plectrum-nginx-"));
  await mkdir(join(prefix, "client_body"));
  const port = await freePort();
  const conf = join(prefix, "nginx.conf");
  await writeFile(conf, config(prefix, root, port));
  const child = spawn("nginx", ["-p", prefix, "-c", conf, "-e", join(prefix, "error.log")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  try {
    await waitForPort(port, child, 10_000);
  } catch (err) {
    child.kill("SIGKILL");
    await rm(prefix, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}: ${stderr.trim()}`);
  }
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    root,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGQUIT");
        await exited;
      }
      await rm(prefix, { recursive: true, force: true });
    },
  };
}
