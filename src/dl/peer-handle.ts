/** The handle a registered peer holds (DL-2, DL-9, DL-17). */
import type { CancelToken } from "../core/cancel.js";
import type { EventBus } from "../events/bus.js";
import type { BatchResult, ExecCmd, ExecResult } from "./types.js";

/** What a handle needs from its downloader; implemented by `Downloader`'s peer record. */
export interface PeerHost {
  readonly peerId: number;
  readonly token: CancelToken;
  wake(): void;
  submit(bus: EventBus, cmds: readonly ExecCmd[]): Promise<BatchResult>[];
  dispose(): void;
}

export class PeerHandle implements Disposable {
  readonly #host: PeerHost;
  /** Where this handle's imperative fetches publish their events. */
  readonly bus: EventBus;

  constructor(host: PeerHost, bus: EventBus) {
    this.#host = host;
    this.bus = bus;
  }

  /** The peer's id (assigned by the ABR registry). */
  get peerId(): number {
    return this.#host.peerId;
  }

  /** Cancelled when the peer is disposed or the downloader closes (DL-14). */
  get token(): CancelToken {
    return this.#host.token;
  }

  /** `poll()` may now yield more: the downloader will poll this peer again (DL-2). */
  wake(): void {
    this.#host.wake();
  }

  /** Fetch a whole body through the scheduler (DL-9). Rejects with a `NetError`. */
  async execute(cmd: ExecCmd): Promise<ExecResult> {
    const [pending] = this.#host.submit(this.bus, [cmd]);
    const r = await (pending as Promise<BatchResult>);
    if (!r.ok) throw r.error;
    return r.value;
  }

  /** Several whole-body fetches; results in array order, each its own success or error (DL-9). */
  batch(cmds: readonly ExecCmd[]): Promise<BatchResult[]> {
    return Promise.all(this.#host.submit(this.bus, cmds));
  }

  /** The same peer, with imperative fetches publishing their events on `bus`. */
  withBus(bus: EventBus): PeerHandle {
    return new PeerHandle(this.#host, bus);
  }

  /** Cancel this peer's work only (queued and in flight) and unregister it (DL-17). Idempotent. */
  dispose(): void {
    this.#host.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
