import type { Client } from "../client.js";
import type { ResocketError } from "../errors.js";
import { ClientState, type ClientStatus, type DisconnectedContext } from "../types.js";

/** How often the status is read again while connecting (see {@link ConnectionStore}). */
const POLL_MS = 250;

/** What `useConnectionState()` returns: the client's status plus what a status line needs. */
export interface ConnectionState extends ClientStatus {
  /**
   * `Date.now()` at which the next attempt is due, when one is scheduled: a countdown
   * ("reconnecting in 3 s") is `retryAt - Date.now()`.
   */
  readonly retryAt: number | null;
  /** The last error the client reported that was not tied to a request. */
  readonly lastError: ResocketError | null;
  /** Why the last connection ended, until the next one is up. */
  readonly lastDisconnect: DisconnectedContext | null;
}

/**
 * The client's status as an external store for `useSyncExternalStore`: one snapshot
 * object, replaced only when something in it changed.
 *
 * The client emits `status` on its connection events and right after a publish or call
 * is handed to the module, but the module queues a request a moment later, so a
 * request made while offline changes `queuedItems` with no event. While not connected
 * (when requests queue up) and someone is listening, the store therefore reads the
 * status again every 250 ms.
 */
export class ConnectionStore {
  private snapshot: ConnectionState;
  private readonly listeners = new Set<() => void>();
  private lastError: ResocketError | null = null;
  private lastDisconnect: DisconnectedContext | null = null;
  private poll: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly client: Client) {
    this.snapshot = { ...client.status(), retryAt: null, lastError: null, lastDisconnect: null };
    client.on("status", () => this.update());
    client.on("error", ({ error }) => {
      this.lastError = error;
      this.update();
    });
    client.on("disconnected", (ctx) => {
      this.lastDisconnect = ctx;
      this.update();
    });
    client.on("connected", () => {
      this.lastDisconnect = null;
      this.update();
    });
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    // Catch up with whatever changed before the first listener came.
    this.update();
    this.syncPolling();
    return () => {
      this.listeners.delete(listener);
      this.syncPolling();
    };
  };

  readonly getSnapshot = (): ConnectionState => this.snapshot;

  private update(): void {
    const status = this.client.status();
    const prev = this.snapshot;
    if (
      sameStatus(prev, status) &&
      prev.lastError === this.lastError &&
      prev.lastDisconnect === this.lastDisconnect
    ) {
      return;
    }
    let retryAt = prev.retryAt;
    if (status.nextRetry === null) retryAt = null;
    else if (status.nextRetry !== prev.nextRetry || prev.retryAt === null) retryAt = Date.now() + status.nextRetry;
    this.snapshot = Object.freeze({
      ...status,
      retryAt,
      lastError: this.lastError,
      lastDisconnect: this.lastDisconnect,
    });
    this.syncPolling();
    for (const listener of [...this.listeners]) listener();
  }

  private syncPolling(): void {
    const state = this.snapshot.state;
    const wanted = this.listeners.size > 0 && state === ClientState.Connecting;
    if (wanted && this.poll === null) {
      this.poll = setInterval(() => this.update(), POLL_MS);
    } else if (!wanted && this.poll !== null) {
      clearInterval(this.poll);
      this.poll = null;
    }
  }
}

function sameStatus(a: ClientStatus, b: ClientStatus): boolean {
  return (
    a.state === b.state &&
    a.attempt === b.attempt &&
    a.nextRetry === b.nextRetry &&
    a.queuedItems === b.queuedItems &&
    a.queuedBytes === b.queuedBytes &&
    a.session === b.session
  );
}
