import { describe, expect, it } from "vitest";
import { NetError } from "../../src/core/errors.js";
import { EventBus } from "../../src/events/bus.js";
import type { PlectrumEvent } from "../../src/events/types.js";
import { looksLikeClearInit, nodeAes128, sequenceIv, webCryptoAes128 } from "../../src/hls/aes.js";
import { DecryptError, KeyError } from "../../src/hls/errors.js";
import { KeyCache } from "../../src/hls/keys.js";
import {
  encrypt,
  explicitIv,
  FIXTURE_KEY,
  initPlain,
  segmentPlain,
  sequenceIvOf,
} from "../support/hls-fixtures.js";

describe("AES-128", () => {
  it("HLS-4: sequence-number IV is the 16-byte big-endian media sequence", () => {
    expect(sequenceIv(0)).toEqual(new Uint8Array(16));
    expect(sequenceIv(0x0102)).toEqual(sequenceIvOf(0x0102));
    expect([...sequenceIv(2 ** 40 + 5)].slice(10)).toEqual([1, 0, 0, 0, 0, 5]);
    expect(sequenceIv(Number.MAX_SAFE_INTEGER)).toEqual(sequenceIvOf(Number.MAX_SAFE_INTEGER));
  });

  for (const [name, aes] of [
    ["node:crypto", nodeAes128],
    ["WebCrypto", webCryptoAes128],
  ] as const) {
    it(`HLS-4: ${name} decrypts explicit-IV and sequence-IV segments byte-exact`, async () => {
      for (const [iv, seq] of [
        [explicitIv(2), 3],
        [sequenceIvOf(77), 77],
      ] as const) {
        const plain = segmentPlain(2, seq, 1000);
        const out = await aes.decrypt(FIXTURE_KEY, iv, encrypt(FIXTURE_KEY, iv, plain), "u");
        expect(Buffer.from(out).equals(Buffer.from(plain))).toBe(true);
      }
    });

    it(`HLS-4: ${name} detects bad padding (wrong key) and bad lengths as DecryptError`, async () => {
      const iv = sequenceIvOf(1);
      const cipher = encrypt(FIXTURE_KEY, iv, segmentPlain(0, 1, 999));
      const wrong = new Uint8Array(16).fill(9);
      await expect(aes.decrypt(wrong, iv, cipher, "seg.ts")).rejects.toThrow(/bad padding/);
      await expect(aes.decrypt(FIXTURE_KEY, iv, cipher.subarray(1), "seg.ts")).rejects.toThrow(
        DecryptError,
      );
      await expect(aes.decrypt(FIXTURE_KEY, iv, new Uint8Array(0), "seg.ts")).rejects.toThrow(
        /multiple of 16/,
      );
      await expect(aes.decrypt(FIXTURE_KEY.subarray(1), iv, cipher, "s")).rejects.toThrow(
        /key is 15/,
      );
    });
  }

  it("HLS-4: clear MP4 init sections are recognised, ciphertext is not", () => {
    expect(looksLikeClearInit(initPlain(0))).toBe(true);
    expect(looksLikeClearInit(encrypt(FIXTURE_KEY, sequenceIvOf(0), initPlain(0)))).toBe(false);
  });
});

describe("KeyCache", () => {
  it("HLS-4: concurrent requests for one URI share one fetch; distinct URIs fetch separately", async () => {
    const bus = EventBus.root();
    const seen: PlectrumEvent[] = [];
    bus.subscribe((e) => seen.push(e.event));
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const keys = new KeyCache(async () => {
      await gate;
      return { bytes: FIXTURE_KEY, cached: false };
    }, bus);
    const all = Promise.all([keys.get("k1"), keys.get("k1"), keys.get("k1"), keys.get("k2")]);
    release();
    const got = await all;
    expect(got.every((k) => k === FIXTURE_KEY)).toBe(true);
    expect(keys.fetches).toBe(2);
    await keys.get("k1");
    expect(keys.fetches).toBe(2);
    expect(seen.filter((e) => e.type === "KeyLoaded")).toHaveLength(2);
  });

  it("HLS-4: a key of the wrong length, or an HTML page, fails with a clear KeyError and a KeyFailed event", async () => {
    const bus = EventBus.root();
    const seen: PlectrumEvent[] = [];
    bus.subscribe((e) => seen.push(e.event));
    const short = new KeyCache(async () => ({ bytes: new Uint8Array(20), cached: false }), bus);
    await expect(short.get("http://h/key")).rejects.toThrow(
      /got 20 bytes, a key must be exactly 16/,
    );
    const html = new KeyCache(async (uri) => {
      throw new NetError("InvalidContentType", "text/html", { url: uri });
    }, bus);
    await expect(html.get("http://h/key")).rejects.toThrow(KeyError);
    await expect(html.get("http://h/key")).rejects.toThrow(/HTML page/);
    expect(html.fetches).toBe(2); // failures are not cached
    expect(seen.filter((e) => e.type === "KeyFailed")).toHaveLength(3);
  });
});
