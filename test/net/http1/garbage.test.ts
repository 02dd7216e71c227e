/**
 * NET-1 robustness: whatever bytes a server sends before closing, a request settles — with a
 * response whose body settles too, or a NetError — never hangs, never leaks a raw error,
 * and leaves no socket behind. Inputs are valid responses mutated at random.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NetError } from "../../../src/core/errors.js";
import { BACKENDS, fetchAll, makeBackend, openSockets } from "./backends.js";
import { useRawServer } from "./raw-server.js";

const server = useRawServer();

const VALID = [
  "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-a: b\r\n\r\nhello",
  "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n2\r\nde\r\n0\r\nx-t: 1\r\n\r\n",
  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 206 Partial\r\ncontent-range: bytes 0-1/9\r\ncontent-length: 2\r\n\r\nab",
  "HTTP/1.0 200 OK\r\n\r\nuntil eof",
];

const SPECIAL = ["\r", "\n", "\0", " ", "\t", ":", ";", "0", "f", "-", "\r\n", "\r\n\r\n"];

type Edit = { at: number; kind: "set" | "insert" | "delete"; text: string };

const editArb: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("set", "insert", "delete"),
  text: fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ maxLength: 3 })),
});

function mutate(base: string, edits: Edit[]): string {
  let s = base;
  for (const e of edits) {
    const at = e.at % (s.length + 1);
    if (e.kind === "insert") s = s.slice(0, at) + e.text + s.slice(at);
    else if (e.kind === "delete") s = s.slice(0, at) + s.slice(at + 1);
    else s = s.slice(0, at) + e.text + s.slice(at + 1);
  }
  return s;
}

describe.each(BACKENDS)("NET-1 mutated responses over %s", (name) => {
  it("NET-1 NET-3: any mutation of a valid response, then a close, settles as a response or a NetError and leaves no socket", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...VALID),
        fc.array(editArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        async (base, edits, cuts) => {
          await server().reset();
          const bytes = Buffer.from(mutate(base, edits), "latin1");
          server().handle(async (_req, conn) => {
            await conn.writePieces(
              bytes,
              cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b),
            );
            await conn.end();
          });
          const backend = makeBackend(name);
          try {
            const outcome = await fetchAll(backend, server().url("/m")).then(
              () => "response",
              (e: unknown) => e,
            );
            if (outcome !== "response") {
              expect(outcome).toBeInstanceOf(NetError);
              expect((outcome as NetError).kind).toBe("Network");
            }
          } finally {
            await backend.close();
          }
          await server().connections[0]?.closed;
          expect(openSockets(backend) ?? 0).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
