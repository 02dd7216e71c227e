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

/** One rung of the demo ladder: all share the sample rate, so frames line up across variants. */
export interface FlacVariant {
  channels: 1 | 2;
  /** Bits stored per sample (16 - wasted bits): 8..16. */
  bits: number;
}

/** Bit rate of a variant at `rate` Hz, framing overhead aside. */
export function flacBitrate(rate: number, v: FlacVariant): number {
  return rate * v.channels * v.bits;
}

/** `fLaC` + a last-block STREAMINFO for 16-bit `rate` Hz, `samples` in total (0 = unknown). */
export function flacHeader(rate: number, channels: number, samples: number): Uint8Array {
  const out = new Uint8Array(4 + 4 + 34);
  out.set([0x66, 0x4c, 0x61, 0x43, 0x80, 0, 0, 34]);
  const v = new DataView(out.buffer);
  v.setUint16(8, BLOCK);
  v.setUint16(10, BLOCK);
  // min/max frame size (24 bits each): 0 = unknown.
  // sample rate (20) | channels-1 (3) | bits-1 (5) | total samples (36)
  const bits =
    (BigInt(rate) << 44n) | (BigInt(channels - 1) << 41n) | (15n << 36n) | BigInt(samples);
  v.setBigUint64(18, bits);
  // MD5 of the audio: all zero = not computed (allowed).
  return out;
}

const RATE_CODES: Record<number, number> = {
  8000: 0b0100,
  16000: 0b0101,
  22050: 0b0110,
  24000: 0b0111,
  32000: 0b1000,
  44100: 0b1001,
  48000: 0b1010,
  96000: 0b1011,
};

/** FLAC frame-header code of a sample rate (the demo uses only the standard ones). */
function rateCode(rate: number): number {
  const code = RATE_CODES[rate];
  if (code === undefined) throw new RangeError(`unsupported demo sample rate ${rate}`);
  return code;
}

/** MSB-first bit packing. */
class BitWriter {
  readonly bytes: Uint8Array;
  #bit = 0;
  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }
  write(value: number, width: number): void {
    for (let i = width - 1; i >= 0; i--) {
      if ((value >>> i) & 1) this.bytes[this.#bit >> 3]! |= 0x80 >> (this.#bit & 7);
      this.#bit++;
    }
  }
  /** Bytes used, the last one zero-padded. */
  get length(): number {
    return (this.#bit + 7) >> 3;
  }
}

/**
 * One frame numbered `frame`: the same `pcm` (16-bit) in each channel, VERBATIM subframes
 * storing `bits` bits per sample (16 - bits "wasted" low bits, FLAC's own way to say so).
 * Every frame states its rate and channel count, so a concatenation across variants (ABR
 * switches) stays decodable.
 */
function flacFrame(frame: number, rate: number, v: FlacVariant, pcm: Int16Array): Uint8Array {
  const n = pcm.length;
  const wasted = 16 - v.bits;
  // sync 0xFFF8 (fixed block size); block size code 0b0111 (16-bit n-1 after the number);
  // explicit rate code; channels 0000 (mono) / 0001 (left, right); bits 100 (16); reserved 0.
  const header = Uint8Array.from([
    0xff,
    0xf8,
    0x70 | rateCode(rate),
    ((v.channels - 1) << 4) | 0x08,
    ...utf8Number(frame),
    (n - 1) >> 8,
    (n - 1) & 0xff,
  ]);
  const w = new BitWriter(header.length + 1 + v.channels * (4 + n * 2) + 2);
  for (const b of header) w.write(b, 8);
  w.write(crc8(header), 8);
  for (let c = 0; c < v.channels; c++) {
    // subframe header: padding 0, type VERBATIM (000001), wasted-bits flag (+ unary k-1).
    w.write(wasted > 0 ? 0x03 : 0x02, 8);
    if (wasted > 0) w.write(1, wasted);
    for (let i = 0; i < n; i++) w.write((pcm[i]! >> wasted) & ((1 << v.bits) - 1), v.bits);
  }
  const len = w.length;
  const crc = crc16(w.bytes.subarray(0, len));
  w.bytes[len] = crc >> 8;
  w.bytes[len + 1] = crc & 0xff;
  return w.bytes.subarray(0, len + 2);
}

/**
 * FLAC bytes of a sine tone, split into `segments` parts of `segmentSeconds` each (frames
 * never straddle a segment). Segment 0 carries the stream header.
 */
export function flacSegments(
  rate: number,
  variant: FlacVariant,
  segments: number,
  segmentSeconds: number,
  tone: number,
): Uint8Array[] {
  const perSegment = Math.round(rate * segmentSeconds);
  if (perSegment % BLOCK !== 0) {
    throw new RangeError(`rate x segment seconds must be a multiple of ${BLOCK} samples`);
  }
  // An integer tone repeats every second: compute one second of it once.
  const second = Int16Array.from({ length: rate }, (_, i) =>
    Math.round(6000 * Math.sin((2 * Math.PI * Math.round(tone) * i) / rate)),
  );
  const out: Uint8Array[] = [];
  let frame = 0;
  for (let s = 0; s < segments; s++) {
    // Total samples left unknown (0): the header must stay true for mixed-variant copies.
    const parts: Uint8Array[] = s === 0 ? [flacHeader(rate, variant.channels, 0)] : [];
    for (let off = 0; off < perSegment; off += BLOCK) {
      const pcm = new Int16Array(BLOCK);
      const t0 = s * perSegment + off;
      for (let i = 0; i < BLOCK; i++) pcm[i] = second[(t0 + i) % rate]!;
      parts.push(flacFrame(frame++, rate, variant, pcm));
    }
    out.push(Buffer.concat(parts));
  }
  return out;
}
