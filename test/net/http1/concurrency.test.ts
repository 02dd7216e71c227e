/**
 * NET-1 CORE-4 pool bookkeeping under concurrency: parallel requests through a socket cap,
 * a random subset aborted before the head or mid-body. Every request that is not aborted
 * gets its own body; every aborted one rejects with a NetError; nothing is left open.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NetError } from "../../../src/core/errors.js";
import { BACKENDS, makeBackend, openSockets, rawRequest } from "./backends.js";
import { useRawServer } from "./raw-server.js";

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
