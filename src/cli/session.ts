/**
 * What every command run shares: the root event bus, the NDJSON event file (`--events`), the
 * progress reporter, Ctrl-C handling, and orderly teardown (CORE-4: nothing left running).
 */

import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { type Clock, systemClock } from "../core/clock.js";
import { EventBus } from "../events/bus.js";
import { pipeNdjson } from "../events/ndjson.js";
import { CliError, ExitCode } from "./exit-codes.js";
import type { OutputFlags } from "./options.js";
import {
  loadLiveRenderer,
  type ProgressMode,
  ProgressReporter,
  progressMode,
  type ReporterOptions,
} from "./progress/reporter.js";

export interface CliStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export interface SessionOptions extends OutputFlags {
  events?: string | undefined;
}

export class Session implements AsyncDisposable {
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly progress: ProgressReporter;
  readonly streams: CliStreams;
  readonly flags: OutputFlags;
  /** Aborted on SIGINT/SIGTERM; commands pass it down. */
  readonly signal: AbortSignal;
  readonly #abort = new AbortController();
  readonly #cleanups: Array<() => void | Promise<void>> = [];
  #eventsFile: WriteStream | undefined;
  #closed = false;

  private constructor(
    streams: CliStreams,
    opts: SessionOptions,
    clock: Clock,
    mode: ProgressMode,
    live: ReporterOptions["live"],
  ) {
    this.streams = streams;
    this.flags = opts;
    this.clock = clock;
    this.bus = EventBus.root({ clock });
    this.signal = this.#abort.signal;
    const ro: ReporterOptions = { mode, stream: streams.stderr, clock };
    if (live) ro.live = live;
    this.progress = new ProgressReporter(ro);
  }

  static async open(
    streams: CliStreams,
    opts: SessionOptions,
    clock: Clock = systemClock,
  ): Promise<Session> {
    const mode = progressMode(streams.stderr, opts);
    const s = new Session(streams, opts, clock, mode, await loadLiveRenderer(mode));
    if (opts.events !== undefined) {
      const file = createWriteStream(opts.events, { flags: "w" });
      await Promise.race([
        once(file, "open"),
        once(file, "error").then(([err]) => {
          throw new CliError(
            ExitCode.Storage,
            `cannot write the events file ${opts.events}: ${(err as Error).message}`,
            {
              hint: "pass a writable path to --events",
            },
          );
        }),
      ]);
      s.#eventsFile = file;
      s.#cleanups.push(pipeNdjson(s.bus, file));
    }
    const onSignal = () =>
      s.#abort.abort(
        new CliError(ExitCode.Interrupted, "interrupted", {
          hint: "run the same command again: it resumes from the cache",
        }),
      );
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    s.#cleanups.push(() => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    });
    return s;
  }

  /** Run `fn` at close, in reverse order of registration. */
  defer(fn: () => void | Promise<void>): void {
    this.#cleanups.push(fn);
  }

  /** Result text for stdout (suppressed by --quiet unless --json). */
  result(text: string): void {
    if (this.flags.json || this.flags.quiet) return;
    this.streams.stdout.write(`${text}\n`);
  }

  /** The `--json` result object on stdout. */
  json(value: unknown): void {
    if (this.flags.json) this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Tear down in reverse order; flush the events file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.progress.close(false);
    for (const fn of this.#cleanups.splice(0).reverse()) await fn();
    const file = this.#eventsFile;
    if (file) {
      file.end();
      await once(file, "close");
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
