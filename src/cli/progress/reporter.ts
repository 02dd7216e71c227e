/**
 * Progress output (CLI-1): fed from the event bus; a live line redrawn with `log-update` on a
 * TTY, plain timestamped lines otherwise, nothing with `--quiet`/`--json`.
 */
import type { createLogUpdate } from "log-update";
import type { Clock, Timer } from "../../core/clock.js";
import type { EventBus } from "../../events/bus.js";
import { formatDuration, formatProgress } from "./format.js";
import { ProgressModel } from "./model.js";

export type ProgressMode = "tty" | "plain" | "off";

export interface ReporterOptions {
  mode: ProgressMode;
  /** Where progress goes (stderr by default, so stdout stays for results). */
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  clock: Clock;
  /** Redraw period on a TTY. */
  ttyIntervalMs?: number;
  /** Period of plain progress lines. */
  plainIntervalMs?: number;
  /** The live-line renderer "tty" mode draws with (`loadLiveRenderer()`); else plain lines. */
  live?: typeof createLogUpdate;
}

/**
 * `log-update` (and the terminal-width code under it) costs 100-200 ms of start-up on a busy
 * machine, so it is loaded only when a terminal will show the live line.
 */
export async function loadLiveRenderer(
  mode: ProgressMode,
): Promise<typeof createLogUpdate | undefined> {
  return mode === "tty" ? (await import("log-update")).createLogUpdate : undefined;
}

/** Pick the mode: off when quiet/json, tty when the stream is a terminal, plain otherwise. */
export function progressMode(
  stream: { isTTY?: boolean; rows?: number },
  flags: { quiet?: boolean | undefined; json?: boolean | undefined },
): ProgressMode {
  if (flags.quiet || flags.json) return "off";
  // A terminal that reports 0 rows (a size-less pseudo-terminal) would show log-update nothing.
  return stream.isTTY && stream.rows !== 0 ? "tty" : "plain";
}

export class ProgressReporter {
  readonly model: ProgressModel;
  readonly #opts: ReporterOptions;
  readonly #log: ReturnType<typeof createLogUpdate> | undefined;
  #timer: Timer | undefined;
  #unsubscribe: (() => void) | undefined;
  #closed = false;

  constructor(opts: ReporterOptions) {
    this.#opts = opts;
    this.model = new ProgressModel(opts.clock);
    this.#log = opts.mode === "tty" ? opts.live?.(opts.stream) : undefined;
  }

  /** Start listening to `bus` and drawing. */
  attach(bus: EventBus): void {
    this.#unsubscribe = bus.subscribe((env) => this.model.apply(env));
    if (this.#opts.mode === "off") return;
    this.#schedule();
  }

  #schedule(): void {
    const every =
      this.#opts.mode === "tty"
        ? (this.#opts.ttyIntervalMs ?? 100)
        : (this.#opts.plainIntervalMs ?? 2000);
    this.#timer = this.#opts.clock.setTimer(every, () => {
      this.#draw();
      if (!this.#closed) this.#schedule();
    });
  }

  #draw(): void {
    const notices = this.model.drainNotices();
    const line = formatProgress(this.model.snapshot());
    if (this.#log) {
      for (const n of notices) this.#log.persist(n.text);
      this.#log(line);
      return;
    }
    const t = formatDuration(this.model.snapshot().elapsedMs / 1000);
    for (const n of notices) this.#opts.stream.write(`[${t}] ${n.text}\n`);
    this.#opts.stream.write(`[${t}] ${line}\n`);
  }

  /** A line that persists above the live progress (or a plain line). */
  print(text: string): void {
    if (this.#opts.mode === "off") return;
    if (this.#log) this.#log.persist(text);
    else this.#opts.stream.write(`${text}\n`);
  }

  /**
   * Stop the timer and unsubscribe; with `finalDraw` (success) draw the last state first.
   * A failed run skips it, so its error stays the one line that matters (CLI-5). Idempotent.
   */
  close(finalDraw = true): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    this.#unsubscribe?.();
    if (this.#opts.mode === "off") return;
    if (finalDraw) this.#draw();
    else this.#log?.clear();
    this.#log?.done();
  }
}
