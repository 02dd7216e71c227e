import { readdir } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskStore } from "../../src/store/disk-store.js";
import {
  assetRootOf,
  canonicalUrl,
  defaultCacheRoot,
  MAX_COMPONENT,
  resourcePath,
  sha256Hex,
} from "../../src/store/layout.js";
import { bytes, tempDir } from "./helpers.js";

const PORTABLE = /^[A-Za-z0-9._~-]+$/;

function portable(key: string): boolean {
  return key
    .split("/")
    .every(
      (c) =>
        PORTABLE.test(c) &&
        !c.startsWith(".") &&
        c.length <= MAX_COMPONENT &&
        !/\.(part|lock|tmp)$/i.test(c),
    );
}

function assertPortable(key: string): void {
  expect(portable(key), key).toBe(true);
}

/** Path text built from traversal, separator, NUL, unicode and reserved-name fragments. */
const hostilePath = fc
  .array(
    fc.oneof(
      fc.constantFrom("..", "%2e%2e", ".", "/", "\\", "%2f", "%5c", "%00", "\u0000", "~"),
      fc.constantFrom(
        "\u00e9",
        "\u{1F600}",
        "%ff",
        ".part",
        ".lock",
        "CON",
        ".index",
        "a".repeat(120),
      ),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 40 },
  )
  .map((a) => a.join(""));

const HOSTILE = [
  "http://h.test/../../etc/passwd",
  "http://h.test/%2e%2e/%2e%2e/etc/passwd",
  "http://h.test/%2E%2E%2F%2E%2E%2Fetc",
  "http://h.test/a\\..\\..\\b",
  "http://h.test/a%5c..%5c..%5cb",
  "http://h.test/a%00b/%00",
  "http://h.test/.hidden/.index",
  "http://h.test/x.part",
  "http://h.test/x.lock/y",
  "http://h.test/CON/aux.txt",
  `http://h.test/${"a".repeat(5000)}/${"b/".repeat(500)}c`,
  "http://h.test/\u00e9t\u00e9/\u{1F600}.ts",
  "http://h.test/%C3%A9t%C3%A9/%F0%9F%98%80.ts",
  "http://h.test/%ff%fe/%zz",
  "http://[::1]:8080/a",
  "http://h.test/",
  "http://h.test//a//b//",
  "file:///etc/passwd",
];

describe("STORE-1 layout", () => {
  it("STORE-1: assetRoot is 32 hex of SHA-256 with a domain separator, ignoring fragment and credentials", () => {
    const u = canonicalUrl("http://h.test/v.mp4#t=10");
    const root = assetRootOf(u);
    expect(root).toMatch(/^[0-9a-f]{32}$/);
    expect(root).toBe(assetRootOf(canonicalUrl("http://h.test/v.mp4")));
    expect(root).not.toBe(sha256Hex("http://h.test/v.mp4").slice(0, 32));
    const withCreds = canonicalUrl("http://user:secret@h.test/v.mp4");
    expect(withCreds.href).toBe("http://h.test/v.mp4");
    expect(assetRootOf(withCreds)).toBe(root);
  });

  it("STORE-1 [+]: the default cache key sorts query parameters; a cacheKey hook can drop them", () => {
    const a = canonicalUrl("http://h.test/v.mp4?b=2&a=1");
    const b = canonicalUrl("http://h.test/v.mp4?a=1&b=2");
    expect(assetRootOf(a)).toBe(assetRootOf(b));
    expect(resourcePath(a)).toBe(resourcePath(b));
    expect(resourcePath(a)).toMatch(/^h\.test\/v\.mp4~q[0-9a-f]{8}$/);
    const dropSig = (url: URL) => {
      url.searchParams.delete("sig");
      return url;
    };
    const s1 = canonicalUrl("http://h.test/v.mp4?sig=1&id=7", dropSig);
    const s2 = canonicalUrl("http://h.test/v.mp4?id=7&sig=2", dropSig);
    expect(assetRootOf(s1)).toBe(assetRootOf(s2));
    expect(resourcePath(s1)).toBe(resourcePath(s2));
  });

  it("STORE-1: resource paths keep host and path, and byte ranges make distinct names", () => {
    const u = canonicalUrl("http://cdn.test:8080/show/seg-1.ts");
    expect(resourcePath(u)).toBe("cdn.test_8080/show/seg-1.ts");
    expect(resourcePath(u, { byteRange: { start: 0, end: 100 } })).toBe(
      "cdn.test_8080/show/seg-1.ts~b0-100",
    );
    expect(resourcePath(u, { name: "../keys/k1" })).toBe(
      `cdn.test_8080/_..~${sha256Hex("..").slice(0, 8)}/keys/k1`,
    );
    expect(resourcePath(canonicalUrl("http://h.test/d/"))).toBe("h.test/d/~index");
    expect(resourcePath(canonicalUrl("http://h.test/d/index"))).toBe("h.test/d/index");
  });

  it("STORE-1: default cache root follows XDG_CACHE_HOME, else ~/.cache", () => {
    expect(defaultCacheRoot({ XDG_CACHE_HOME: "/x/cache" })).toBe("/x/cache/plectrum");
    expect(defaultCacheRoot({})).toMatch(/\.cache\/plectrum$/);
    expect(defaultCacheRoot({ XDG_CACHE_HOME: "relative" })).toMatch(/\.cache\/plectrum$/);
  });

  it("STORE-1: hostile URLs map to portable paths (listed cases)", () => {
    const seen = new Set<string>();
    const hrefs = new Set<string>();
    for (const url of HOSTILE) {
      hrefs.add(canonicalUrl(url).href);
      const key = resourcePath(canonicalUrl(url));
      assertPortable(key);
      expect(key.split("/").length).toBeLessThanOrEqual(25);
      seen.add(key);
    }
    // distinct URLs stay distinct (`..` and `%2e%2e` are the same URL after parsing)
    expect(seen.size).toBe(hrefs.size);
    expect(hrefs.size).toBeGreaterThan(12);
  });

  it("STORE-1: any path text and any resource name stays portable (property)", () => {
    fc.assert(
      fc.property(hostilePath, fc.string({ maxLength: 40 }), (path, q) => {
        const u = new URL("http://h.test/");
        u.pathname = path;
        u.search = q;
        return (
          portable(resourcePath(canonicalUrl(u.href))) &&
          portable(resourcePath(canonicalUrl("http://h.test/x"), { name: path }))
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe("STORE-1 on disk", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => cleanup());

  it("STORE-1 STORE-2: hostile URLs written to disk never leave the cache root", async () => {
    const root = join(dir, "cache");
    const store = await DiskStore.open({ root });
    for (const [i, url] of HOSTILE.entries()) {
      const a = await store.asset(url);
      const r = await a.resource(url);
      await r.putWhole(bytes(8, i));
      expect(r.path).toBeDefined();
      const rel = relative(root, resolve(r.path!));
      expect(rel.startsWith("..")).toBe(false);
      expect(rel.split(sep)[0]).toBe(a.assetRoot);
      expect(await r.readWhole()).toEqual(bytes(8, i));
    }
    await store.close();
    expect(await readdir(dir)).toEqual(["cache"]);
    // STORE-2: claims (lock temp + link) left no lock or temp file behind, none outside root
    const left = (await readdir(root, { recursive: true })).filter((f) => /\.(lock|tmp)$/.test(f));
    expect(left).toEqual([]);
  });

  it("STORE-1 STORE-2: a held claim of a hostile URL (longest names included) is a lock file inside its asset, never a temp", async () => {
    const root = join(dir, "cache");
    const store = await DiskStore.open({ root });
    for (const url of HOSTILE) {
      const a = await store.asset(url);
      const r = await a.resource(url);
      const w = await r.tryClaim();
      expect(w).toBeDefined();
      const lock = relative(root, resolve(`${r.path!}.lock`));
      expect(lock.split(sep)[0]).toBe(a.assetRoot);
      const files = await readdir(join(root, a.assetRoot), { recursive: true });
      expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
      expect(files.filter((f) => f.endsWith(".lock"))).toEqual([
        relative(join(root, a.assetRoot), resolve(`${r.path!}.lock`)),
      ]);
      await w!.release();
    }
    await store.close();
    expect(await readdir(dir)).toEqual(["cache"]);
  });

  it("STORE-1: a resource whose file name is another's directory is a typed PathConflict", async () => {
    const store = await DiskStore.open({ root: dir });
    const a = await store.asset("http://h.test/");
    await (await a.resource("http://h.test/a")).putWhole(bytes(4));
    await expect((await a.resource("http://h.test/a/b")).putWhole(bytes(4))).rejects.toMatchObject({
      kind: "PathConflict",
    });
    await store.close();
  });
});
