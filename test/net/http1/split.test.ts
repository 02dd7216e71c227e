/**
 * NET-1: any split of the response bytes across TCP writes gives the same result. Valid
 * responses (content-length and chunked, several on one keep-alive connection) are written
 * piece by piece, each piece a real `socket.write` followed by an event-loop turn.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BACKENDS, fetchAll, makeBackend, sequentialSockets } from "./backends.js";
import { useRawServer } from "./raw-server.js";

const server = useRawServer();

interface Shape {
  body: Uint8Array;
  chunked: boolean;
  /** Chunk boundaries inside the body (chunked only). */
  chunkCuts: number[];
  upperHex: boolean;
  extensions: boolean;
  trailers: boolean;
  /** Where the response bytes are cut into separate writes. */
  writeCuts: number[];
}

const shapeArb: fc.Arbitrary<Shape> = fc.record({
  body: fc.uint8Array({ maxLength: 300 }),
  chunked: fc.boolean(),
  chunkCuts: fc.array(fc.nat(), { maxLength: 6 }),
  upperHex: fc.boolean(),
  extensions: fc.boolean(),
  trailers: fc.boolean(),
  writeCuts: fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
});

function encode(s: Shape): Buffer {
  if (!s.chunked) {
    const head = `HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${s.body.length}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, "latin1"), s.body]);
  }
  const parts: Buffer[] = [Buffer.from("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")];
  const cuts = [...new Set(s.chunkCuts.map((c) => c % (s.body.length + 1)))]
    .filter((c) => c > 0)
    .sort((a, b) => a - b);
  let at = 0;
  for (const c of [...cuts, s.body.length]) {
    if (c <= at) continue;
    const size = (c - at).toString(16);
    const ext = s.extensions ? ";ext=1" : "";
    parts.push(Buffer.from(`${s.upperHex ? size.toUpperCase() : size}${ext}\r\n`));
    parts.push(Buffer.from(s.body.subarray(at, c)), Buffer.from("\r\n"));
    at = c;
  }
  parts.push(Buffer.from(`0${s.extensions ? ";end" : ""}\r\n`));
  if (s.trailers) parts.push(Buffer.from("x-checksum: 1\r\n"));
  parts.push(Buffer.from("\r\n"));
  return Buffer.concat(parts);
}

describe.each(BACKENDS)("NET-1 split responses over %s", (name) => {
  it("NET-1: any split of valid responses across TCP writes yields the same bodies over one keep-alive connection", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(shapeArb, { minLength: 1, maxLength: 4 }), async (shapes) => {
        await server().reset();
        const wire = shapes.map(encode);
        server().handle(async (req, conn) => {
          const i = Number(req.target.slice(1));
          const bytes = wire[i] as Buffer;
          const cuts = (shapes[i] as Shape).writeCuts
            .map((c) => c % bytes.length)
            .sort((a, b) => a - b);
          await conn.writePieces(bytes, cuts);
        });
        const backend = makeBackend(name);
        try {
          for (let i = 0; i < shapes.length; i++) {
            const { res, body } = await fetchAll(backend, server().url(`/${i}`));
            expect(res.status).toBe(200);
            expect(Buffer.from(body, "latin1")).toEqual(Buffer.from((shapes[i] as Shape).body));
          }
        } finally {
          await backend.close();
        }
        expect(server().connections.length).toBeLessThanOrEqual(sequentialSockets(name));
      }),
      { numRuns: 40 },
    );
  });
});
