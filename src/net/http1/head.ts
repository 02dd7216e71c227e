/**
 * Response heads and field sections (RFC 9112 section 2-5), parsed from their latin1 text with
 * char-code scans (no regular expressions or per-line arrays: a response head costs ~1-2 us).
 * Strict: anything a lenient reader and a strict one could read differently is an
 * `InvalidResponse` (see CONTEXT.md).
 */

/** A framing the parser will not read: the response fails and its socket is dropped. */
export class InvalidResponse extends Error {
  override readonly name = "InvalidResponse";
}

const TOKEN_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789") TOKEN_CHARS[c.charCodeAt(0)] = 1;
for (let c = 0x41; c <= 0x5a; c++) {
  TOKEN_CHARS[c] = 1;
  TOKEN_CHARS[c + 0x20] = 1;
}

/** `s[start, end)` is a non-empty RFC 9110 token (a header name). */
export function isToken(s: string, start = 0, end = s.length): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] === 0) return false;
  }
  return true;
}

/** `s[start, end)` holds a control character other than tab (NUL, CR, LF, DEL, ...). */
export function hasControl(s: string, start = 0, end = s.length): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Field lines `name: value` separated by CRLF, from `from` to the end of `text` (which holds no
 * final CRLF), into `into`: names lower-cased, values trimmed of spaces and tabs, repeats
 * joined with ", ".
 */
export function parseFields(text: string, from: number, into: Record<string, string>): void {
  let pos = from;
  while (pos < text.length) {
    let eol = text.indexOf("\r\n", pos);
    if (eol < 0) eol = text.length;
    if (isBlank(text.charCodeAt(pos)))
      throw new InvalidResponse("obsolete line folding in a header");
    const colon = text.indexOf(":", pos);
    if (colon <= pos || colon >= eol)
      throw new InvalidResponse("header line without a name and colon");
    if (!isToken(text, pos, colon)) {
      throw new InvalidResponse(`invalid header name ${JSON.stringify(text.slice(pos, colon))}`);
    }
    let vs = colon + 1;
    let ve = eol;
    while (vs < ve && isBlank(text.charCodeAt(vs))) vs++;
    while (ve > vs && isBlank(text.charCodeAt(ve - 1))) ve--;
    const key = text.slice(pos, colon).toLowerCase();
    if (hasControl(text, vs, ve)) throw new InvalidResponse(`control character in header ${key}`);
    const value = text.slice(vs, ve);
    const prev = into[key];
    into[key] = prev === undefined ? value : `${prev}, ${value}`;
    pos = eol + 2;
  }
}

export interface Head {
  /** 0 or 1: HTTP/1.0 or HTTP/1.1. */
  readonly minor: number;
  readonly status: number;
  readonly headers: Record<string, string>;
}

function digit(text: string, i: number): number {
  const d = text.charCodeAt(i) - 0x30;
  if (d < 0 || d > 9) throw badStatusLine(text);
  return d;
}

function badStatusLine(text: string): InvalidResponse {
  const line = text.slice(0, Math.min(80, (text.indexOf("\r\n") + 1 || text.length + 1) - 1));
  return new InvalidResponse(`bad status line ${JSON.stringify(line)}`);
}

/** `HTTP/1.x NNN[ reason]` then the header fields. */
export function parseHead(text: string): Head {
  let eol = text.indexOf("\r\n");
  if (eol < 0) eol = text.length;
  if (eol < 12 || !text.startsWith("HTTP/1.") || text.charCodeAt(8) !== 0x20) {
    throw badStatusLine(text);
  }
  const minor = text.charCodeAt(7) - 0x30;
  if (minor !== 0 && minor !== 1) throw badStatusLine(text);
  const status = digit(text, 9) * 100 + digit(text, 10) * 10 + digit(text, 11);
  if (eol > 12 && (text.charCodeAt(12) !== 0x20 || hasControl(text, 13, eol))) {
    throw badStatusLine(text);
  }
  if (status < 100) throw new InvalidResponse(`bad status code ${status}`);
  const headers: Record<string, string> = {};
  parseFields(text, eol + 2, headers);
  return { minor, status, headers };
}
