/**
 * AES-128-CBC segment decryption (HLS-4). The seam is WebCrypto-shaped (async, whole
 * buffer) so a browser build can use `crypto.subtle`; Node uses `node:crypto`.
 */
import { createDecipheriv } from "node:crypto";
import { DecryptError } from "./errors.js";

export interface Aes128Cbc {
  /** Decrypt and strip PKCS#7 padding; rejects with `DecryptError` on bad padding/length. */
  decrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array, url: string): Promise<Uint8Array>;
}

function checkShape(key: Uint8Array, iv: Uint8Array, data: Uint8Array, url: string): void {
  if (key.byteLength !== 16) throw new DecryptError(url, `key is ${key.byteLength} bytes, not 16`);
  if (iv.byteLength !== 16) throw new DecryptError(url, `IV is ${iv.byteLength} bytes, not 16`);
  if (data.byteLength === 0 || data.byteLength % 16 !== 0) {
    throw new DecryptError(url, `ciphertext length ${data.byteLength} is not a multiple of 16`);
  }
}

/** Node: `node:crypto`, synchronous under the hood. */
export const nodeAes128: Aes128Cbc = {
  async decrypt(key, iv, data, url) {
    checkShape(key, iv, data, url);
    try {
      const d = createDecipheriv("aes-128-cbc", key, iv);
      const head = d.update(data);
      const tail = d.final();
      const out = new Uint8Array(head.byteLength + tail.byteLength);
      out.set(head, 0);
      out.set(tail, head.byteLength);
      return out;
    } catch (err) {
      throw new DecryptError(url, "bad padding (wrong key or IV, or corrupt data)", { cause: err });
    }
  },
};

/** Browsers (and any runtime with WebCrypto). */
export const webCryptoAes128: Aes128Cbc = {
  async decrypt(key, iv, data, url) {
    checkShape(key, iv, data, url);
    try {
      const subtle = globalThis.crypto.subtle;
      const k = await subtle.importKey("raw", own(key), { name: "AES-CBC" }, false, ["decrypt"]);
      return new Uint8Array(await subtle.decrypt({ name: "AES-CBC", iv: own(iv) }, k, own(data)));
    } catch (err) {
      throw new DecryptError(url, "bad padding (wrong key or IV, or corrupt data)", { cause: err });
    }
  },
};

/** A copy backed by a plain ArrayBuffer (WebCrypto refuses shared buffers). */
function own(b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(b.byteLength);
  out.set(b);
  return out;
}

/** HLS-4: the media sequence number as a 16-byte big-endian IV. */
export function sequenceIv(sequence: number): Uint8Array {
  const iv = new Uint8Array(16);
  let n = BigInt(sequence);
  for (let i = 15; i >= 0 && n > 0n; i--) {
    iv[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return iv;
}

/**
 * True when `bytes` already start like a clear MP4 init (an `ftyp`/`moov`/`styp` box).
 * Packagers (ffmpeg among them) often leave the EXT-X-MAP section in the clear even when
 * an EXT-X-KEY precedes it; see CONTEXT.md.
 */
export function looksLikeClearInit(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 8) return false;
  const t = String.fromCharCode(bytes[4] ?? 0, bytes[5] ?? 0, bytes[6] ?? 0, bytes[7] ?? 0);
  return t === "ftyp" || t === "moov" || t === "styp";
}
