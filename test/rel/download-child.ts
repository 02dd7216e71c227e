/**
 * Download one URL into a disk store through the public API, then print one JSON line
 * `{event, path, maxRssKiB}` and exit (0 on CacheComplete). Used as a separate process by the
 * REL-2 crash test (which SIGKILLs it at random points) and by the bulk and memory benchmarks.
 * argv: <url> <cacheRoot> [checkpointBytes] [progressBytes]
 * With `progressBytes`, every file `Progress` event is also printed as `progress <bytes>` (the
 * bytes written to the store so far), before the final JSON line.
 */
import { Downloader } from "../../src/dl/index.js";
import { EventBus } from "../../src/events/index.js";
import { createHttpClient } from "../../src/net/index.js";
import { open } from "../../src/resource/index.js";
import { DiskStore } from "../../src/store/index.js";

const [url, root, checkpoint, progress] = process.argv.slice(2);
if (!url || !root)
  throw new Error("usage: download-child <url> <cacheRoot> [checkpointBytes] [progressBytes]");

const bus = EventBus.root();
const store = await DiskStore.open({
  root,
  bus,
  ...(checkpoint ? { checkpointBytes: Number(checkpoint) } : {}),
});
const http = createHttpClient({ jitter: 0 });
const downloader = new Downloader({ http });
const done = bus.waitFor(
  (e) => e.domain === "file" && (e.type === "CacheComplete" || e.type === "Error"),
);
if (progress) {
  bus.subscribe(({ event: e }) => {
    if (e.domain === "file" && e.type === "Progress")
      process.stdout.write(`progress ${e.downloaded}\n`);
  });
}
const res = await open(url, {
  downloader,
  store,
  bus,
  ...(progress ? { progressBytes: Number(progress) } : {}),
});
const end = await done;
await res.close();
const path = (await (await store.asset(url)).resource(url)).path;
await downloader.close();
await http.close();
await store.close();
const maxRssKiB = process.resourceUsage().maxRSS;
process.stdout.write(`${JSON.stringify({ event: end.event, path, maxRssKiB })}\n`);
process.exitCode = end.event.type === "CacheComplete" ? 0 : 1;
