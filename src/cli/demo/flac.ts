/**
 * A minimal FLAC writer for the demo stream (CLI-4): mono 16-bit PCM in VERBATIM subframes
 * (no compression), so a multi-variant sample stream that real players can play is generated
 * in code, with no ffmpeg and no network. The stream splits at frame boundaries: segment 0
 * starts with `fLaC` + STREAMINFO, so the concatenation of a variant's segments is a valid
 * `.flac` file.
 */

/** Samples per frame; every segment holds a whole number of frames (fixed block size). */
const BLOCK = 4000;

function crc8(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

const CRC16_TABLE = Uint16Array.from({ length: 256 }, (_, n) => {
  let crc = n << 8;
  for (let i = 0; i < 8; i++)
    crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[(crc >> 8) ^ b]!;
  return crc;
}

/** FLAC's UTF-8-style coding of the frame number. */
function utf8Number(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x800) return [0xc0 | (n >> 6), 0x80 | (n & 0x3f)];
  if (n < 0x10000) return [0xe0 | (n >> 12), 0x80 | ((n >> 6) & 0x3f), 0x80 | (n & 0x3f)];
  return [0xf0 | (n >> 18), 0x80 | ((n >> 12) & 0x3f), 0x80 | ((n >> 6) & 0x3f), 0x80 | (n & 0x3f)];
}

/** `fLaC` + a last-block STREAMINFO for mono 16-bit `rate` Hz, `samples` in total. */
export function flacHeader(rate: number, samples: number): Uint8Array {
  const out = new Uint8Array(4 + 4 + 34);
  out.set([0x66, 0x4c, 0x61, 0x43, 0x80, 0, 0, 34]);
  const v = new DataView(out.buffer);
  v.setUint16(8, BLOCK);
  v.setUint16(10, BLOCK);
  // min/max frame size (24 bits each): 0 = unknown.
  // sample rate (20) | channels-1 (3) | bits-1 (5) | total samples (36)
  const bits = (BigInt(rate) << 44n) | (0n << 41n) | (15n << 36n) | BigInt(samples);
  v.setBigUint64(18, bits);
  // MD5 of the audio: all zero = not computed (allowed).
  return out;
}

/** One frame of `pcm` (mono 16-bit samples) numbered `frame`. */
function flacFrame(frame: number, pcm: Int16Array): Uint8Array {
  const n = pcm.length;
  // sync 0xFFF8 (fixed block size); block size code 0b0111 (16-bit n-1 at the end);
  // sample rate code 0b0000 (from STREAMINFO); channels 0000 (mono); bits 100 (16); reserved 0.
  const head = [0xff, 0xf8, 0x70, 0x08, ...utf8Number(frame), (n - 1) >> 8, (n - 1) & 0xff];
  const header = Uint8Array.from(head);
  const out = new Uint8Array(header.length + 1 + 1 + n * 2 + 2);
  out.set(header, 0);
  let p = header.length;
  out[p++] = crc8(header);
  out[p++] = 0x02; // subframe: padding 0, type VERBATIM (000001), no wasted bits
  const v = new DataView(out.buffer);
  for (let i = 0; i < n; i++, p += 2) v.setInt16(p, pcm[i]!);
  v.setUint16(p, crc16(out.subarray(0, p)));
  return out;
}

/**
 * FLAC bytes of a sine tone, split into `segments` parts of `segmentSeconds` each (frames
 * never straddle a segment). Segment 0 carries the stream header.
 */
export function flacSegments(
  rate: number,
  segments: number,
  segmentSeconds: number,
  tone: number,
): Uint8Array[] {
  const perSegment = Math.round(rate * segmentSeconds);
  if (perSegment % BLOCK !== 0) {
    throw new RangeError(`rate x segment seconds must be a multiple of ${BLOCK} samples`);
  }
  const total = perSegment * segments;
  // An integer tone repeats every second: compute one second of it once.
  const second = Int16Array.from({ length: rate }, (_, i) =>
    Math.round(6000 * Math.sin((2 * Math.PI * Math.round(tone) * i) / rate)),
  );
  const out: Uint8Array[] = [];
  let frame = 0;
  for (let s = 0; s < segments; s++) {
    const parts: Uint8Array[] = s === 0 ? [flacHeader(rate, total)] : [];
    for (let off = 0; off < perSegment; off += BLOCK) {
      const n = BLOCK;
      const pcm = new Int16Array(n);
      const t0 = s * perSegment + off;
      for (let i = 0; i < n; i++) pcm[i] = second[(t0 + i) % rate]!;
      parts.push(flacFrame(frame++, pcm));
    }
    out.push(Buffer.concat(parts));
  }
  return out;
}
