/**
 * NET-1 CORE-4 pool bookkeeping under concurrency: parallel requests through a socket cap,
 * a random subset aborted before the head or mid-body. Every request that is not aborted
 * gets its own body; every aborted one rejects with a NetError; nothing is left open. And an
 * abort after any number of response bytes (property over the cut point).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NetError } from "../../../src/core/errors.js";
import { BACKENDS, fetchAll, makeBackend, openSockets, rawRequest } from "./backends.js";
import { type RawConn, useRawServer } from "./raw-server.js";

const server = useRawServer();

/** What happens to request i: read to the end, aborted before its head, or after its first chunk. */
type Fate = "read" | "abortBeforeHead" | "abortMidBody";

const bodyOf = (i: number) => `body ${i} `.repeat(200 + i * 37);

describe.each(BACKENDS)("NET-1 concurrency over %s", (name) => {
  it("NET-1 CORE-4: parallel requests under a socket cap with random aborts: the rest complete intact, nothing leaks", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Fate>("read", "read", "abortBeforeHead", "abortMidBody"), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.integer({ min: 1, max: 3 }),
        async (fates, cap) => {
          await server().reset();
          const backend = makeBackend(name, { connections: cap });
          let peak = 0;
          server().handle(async (req, conn) => {
            // The client's open sockets as each request arrives: never more than the cap.
            // (undici counts none; the server's view lags a client-side destroy, so for undici
            // the cap is checked without aborts only, in keepalive.test.ts.)
            peak = Math.max(peak, openSockets(backend) ?? 0);
            const body = Buffer.from(bodyOf(Number(req.target.slice(1))));
            await conn.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
            // Two halves: a request aborted mid-body has seen the first one.
            await conn.write(body.subarray(0, body.length >> 1));
            await conn.write(body.subarray(body.length >> 1));
          });
          try {
            const runs = fates.map(async (fate, i) => {
              const req = rawRequest(server().url(`/${i}`));
              if (fate === "abortBeforeHead") {
                const p = backend.request(req);
                req.abort();
                return p.then(
                  () => "answered",
                  (e: unknown) => (e instanceof NetError ? "rejected" : `raw ${String(e)}`),
                );
              }
              const res = await backend.request(req);
              const parts: Uint8Array[] = [];
              try {
                for await (const c of res.body) {
                  parts.push(c);
                  if (fate === "abortMidBody") req.abort();
                }
              } catch (e) {
                return e instanceof NetError ? "rejected" : `raw ${String(e)}`;
              } finally {
                await res.dispose();
              }
              return Buffer.concat(parts).toString() === bodyOf(i) ? "intact" : "corrupt";
            });
            const outcomes = await Promise.all(runs);
            fates.forEach((fate, i) => {
              if (fate === "read") expect(outcomes[i]).toBe("intact");
              // An abort may lose the race with a body that had fully arrived already.
              else if (fate === "abortMidBody")
                expect(["rejected", "intact"]).toContain(outcomes[i]);
              else expect(outcomes[i]).toBe("rejected");
            });
            expect(peak).toBeLessThanOrEqual(cap);
          } finally {
            await backend.close();
          }
          await Promise.all(server().connections.map((c) => c.closed));
          expect(openSockets(backend) ?? 0).toBe(0);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe.each(BACKENDS)("NET-1 abort at any byte over %s", (name) => {
  it("NET-1 CORE-4: an abort after any number of response bytes fails the request or body (or finds it done), drops the socket if unfinished, and the next request works", async () => {
    const bodyArb = fc.uint8Array({ minLength: 0, maxLength: 200 });
    await fc.assert(
      fc.asyncProperty(bodyArb, fc.boolean(), fc.nat(), async (body, chunked, at) => {
        await server().reset();
        const wire = Buffer.concat(
          chunked
            ? [
                Buffer.from("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"),
                ...(body.length
                  ? [Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from("\r\n")]
                  : []),
                Buffer.from("0\r\n\r\n"),
              ]
            : [Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`), body],
        );
        const cut = at % (wire.length + 1);
        let sentPrefix: () => void = () => {};
        const prefixSent = new Promise<void>((r) => {
          sentPrefix = r;
        });
        let release: () => void = () => {};
        const gate = new Promise<void>((r) => {
          release = r;
        });
        server().handle(async (req, conn) => {
          if (req.target !== "/cut")
            return conn.write(`HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nnext`);
          await conn.write(wire.subarray(0, cut));
          sentPrefix();
          await gate;
          await conn.write(wire.subarray(cut));
        });
        const backend = makeBackend(name);
        try {
          const req = rawRequest(server().url("/cut"));
          const outcome = (async () => {
            const res = await backend.request(req);
            const got: Uint8Array[] = [];
            for await (const c of res.body) got.push(c);
            await res.dispose();
            return Buffer.concat(got);
          })();
          outcome.catch(() => {});
          await prefixSent;
          req.abort();
          release();
          const result = await outcome.then(
            (b) => b,
            (e: unknown) => e,
          );
          const first = server().connections[0] as RawConn;
          if (result instanceof Buffer) {
            // Only possible when every byte had arrived before the abort.
            expect(cut).toBe(wire.length);
            expect(result.equals(Buffer.from(body))).toBe(true);
          } else {
            expect(result).toBeInstanceOf(NetError);
            await first.closed;
          }
          expect((await fetchAll(backend, server().url("/next"))).body).toBe("next");
        } finally {
          await backend.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
