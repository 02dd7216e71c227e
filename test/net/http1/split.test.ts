/**
 * NET-1: any split of the response bytes across TCP writes gives the same result. Valid
 * responses (content-length and chunked, several on one keep-alive connection) are written
 * piece by piece, each piece a real `socket.write` followed by an event-loop turn. A second
 * property (http1 only) mixes in HEAD/204/304 with content-length, 103 interims, slow readers.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createHttp1Backend } from "../../../src/net/backend-http1.js";
import { BACKENDS, fetchAll, makeBackend, rawRequest, sequentialSockets } from "./backends.js";
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

/** Answer `GET /<i>` with `wire[i]`, written in pieces split at `cutsOf(i)` (mod its length). */
function serveSplit(wire: readonly Buffer[], cutsOf: (i: number) => readonly number[]): void {
  server().handle(async (req, conn) => {
    const i = Number(req.target.slice(1));
    const bytes = wire[i] as Buffer;
    const cuts = cutsOf(i)
      .map((c) => c % bytes.length)
      .sort((a, b) => a - b);
    await conn.writePieces(bytes, cuts);
  });
}

describe.each(BACKENDS)("NET-1 split responses over %s", (name) => {
  it("NET-1: any split of valid responses across TCP writes yields the same bodies over one keep-alive connection", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(shapeArb, { minLength: 1, maxLength: 4 }), async (shapes) => {
        await server().reset();
        const wire = shapes.map(encode);
        serveSplit(wire, (i) => (shapes[i] as Shape).writeCuts);
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
      { numRuns: 30 },
    );
  });
});

/** A response http1 must also frame right (undici departs on these, see framing.test.ts). */
interface Extra {
  base: Shape;
  kind: "body" | "head" | "204" | "304";
  /** A 103 Early Hints before the response. */
  interim: boolean;
  /** Yield an event-loop turn before each read (a slow reader: bytes queue up). */
  slowReader: boolean;
}

const extraArb: fc.Arbitrary<Extra> = fc.record({
  base: shapeArb,
  kind: fc.constantFrom("body", "head", "204", "304"),
  interim: fc.boolean(),
  slowReader: fc.boolean(),
});

function encodeExtra(x: Extra): Buffer {
  const interim = x.interim ? "HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n" : "";
  const len = x.base.body.length;
  const head =
    x.kind === "body"
      ? ""
      : x.kind === "head"
        ? `HTTP/1.1 200 OK\r\ncontent-length: ${len}\r\n\r\n`
        : `HTTP/1.1 ${x.kind} X\r\ncontent-length: ${len}\r\n\r\n`;
  const rest = x.kind === "body" ? encode(x.base) : Buffer.from(head, "latin1");
  return Buffer.concat([Buffer.from(interim, "latin1"), rest]);
}

describe("NET-1 split responses over http1 (bodiless, interim, slow reader)", () => {
  it("NET-1: HEAD/204/304 with content-length, 103 interims and slow readers, split anywhere, keep one socket and the same bodies", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(extraArb, { minLength: 1, maxLength: 4 }), async (xs) => {
        await server().reset();
        const wire = xs.map(encodeExtra);
        serveSplit(wire, (i) => (xs[i] as Extra).base.writeCuts);
        const backend = createHttp1Backend();
        try {
          for (let i = 0; i < xs.length; i++) {
            const x = xs[i] as Extra;
            const res = await backend.request(
              rawRequest(server().url(`/${i}`), x.kind === "head" ? "HEAD" : "GET"),
            );
            expect(res.status).toBe(x.kind === "204" ? 204 : x.kind === "304" ? 304 : 200);
            const parts: Uint8Array[] = [];
            const it = res.body[Symbol.asyncIterator]();
            for (;;) {
              if (x.slowReader) await new Promise<void>((r) => setImmediate(r));
              const r = await it.next();
              if (r.done) break;
              parts.push(r.value);
            }
            await res.dispose();
            const want = x.kind === "body" ? Buffer.from(x.base.body) : Buffer.alloc(0);
            expect(Buffer.concat(parts)).toEqual(want);
          }
        } finally {
          await backend.close();
        }
        expect(server().connections).toHaveLength(1);
      }),
      { numRuns: 30 },
    );
  });
});
