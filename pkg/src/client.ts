import { ErrorCode } from "./codes.js";
import { Emitter } from "./emitter.js";
import { ClientClosedError, fromRaw, toError } from "./errors.js";
import { Subscription } from "./subscription.js";
import {
  ClientState,
  type ClientEvents,
  type ClientOptions,
  type ClientStatus,
  type PresenceMember,
  type PublishResult,
  type RequestOptions,
} from "./types.js";
import { init } from "./wasm.js";
import { RawClient, type RawConnectionEvent, type RawStatus } from "./wasm/resocket_wasm.js";

const IDLE: ClientStatus = Object.freeze({
  state: ClientState.Idle,
  attempt: 0,
  nextRetry: null,
  queuedItems: 0,
  queuedBytes: 0,
  session: null,
});

/**
 * A resocket client: reconnects with jittered backoff, queues publishes and calls while
 * offline, resends unacknowledged publishes once, and resumes every subscription from
 * its last position after a reconnect (or says `reset` when it cannot).
 *
 * ```ts
 * const client = new Client("wss://example.com/ws", { token });
 * client.on("connected", ({ session }) => console.log("connected", session));
 * const room = client.subscribe<ChatLine>("room:lobby");
 * room.on("message", ({ data }) => render(data));
 * client.connect();
 * await client.publish("room:lobby", { text: "hi" });
 * const sum = await client.call<number>("add", [1, 2], { timeout: 2000 });
 * ```
 *
 * All the logic runs in the WebAssembly module (the Rust `resocket` client); this class
 * turns its events into typed events and its errors into `Error` subclasses.
 */
export class Client extends Emitter<ClientEvents> {
  private raw: RawClient | null = null;
  private starting: Promise<RawClient> | null = null;
  private readonly subscriptions = new Set<Subscription<never>>();
  private snapshot: ClientStatus = IDLE;

  constructor(
    readonly url: string,
    private readonly options: ClientOptions = {},
  ) {
    super();
  }

  /** The connection state. */
  get state(): ClientState {
    return this.status().state;
  }

  /**
   * State, reconnect attempt, next retry delay and offline queue. The same object is
   * returned until something changes (fit for React's `useSyncExternalStore`); the
   * `status` event says when.
   */
  status(): ClientStatus {
    if (this.raw !== null) {
      this.snapshot = sameOrNew(this.snapshot, this.raw.status());
    } else if (this.starting !== null && this.snapshot.state === ClientState.Idle) {
      this.snapshot = { ...IDLE, state: ClientState.Connecting };
    }
    return this.snapshot;
  }

  /**
   * Starts connecting (loading the WebAssembly module first if needed), or connects
   * again after `close()` or a terminal failure. Returns at once; listen to `connected`.
   */
  connect(): void {
    if (this.raw !== null) {
      this.raw.reconnect();
      return;
    }
    if (this.starting !== null) return;
    this.starting = init().then(() => {
      const raw = new RawClient(this.url, this.options, (event) => this.onRawEvent(event));
      this.raw = raw;
      for (const sub of this.subscriptions) sub.attach(raw);
      this.refreshStatus();
      return raw;
    });
    this.starting.catch((e: unknown) => {
      this.starting = null;
      const error = new ClientClosedError(ErrorCode.Closed, `cannot start the client: ${String(e)}`);
      this.emit("error", { error });
    });
    // `connecting` comes from the module, the first attempt included.
    this.refreshStatus();
  }

  /** Resolves once connected (or rejects when the client closes first). */
  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.state === ClientState.Connected) return resolve();
      const offConnected = this.once("connected", () => {
        offClosed();
        resolve();
      });
      const offClosed = this.once("closed", ({ reason }) => {
        offConnected();
        reject(new ClientClosedError(ErrorCode.Closed, reason));
      });
    });
  }

  /**
   * Publishes `data` (any structured-clone-able value; `Uint8Array` travels as bytes) and
   * resolves with the server's acknowledgement. While offline it waits in the queue.
   */
  async publish(channel: string, data: unknown, options: RequestOptions = {}): Promise<PublishResult> {
    const raw = await this.started();
    const ack = raw.publish(channel, data, options.timeout);
    this.refreshStatus();
    try {
      return await ack;
    } catch (e) {
      throw toError(e);
    } finally {
      this.refreshStatus();
    }
  }

  /**
   * Calls the server's RPC handler `method` with `data` and resolves with its reply.
   * A call still queued when its timeout passes is never sent.
   */
  async call<R = unknown>(method: string, data: unknown, options: RequestOptions = {}): Promise<R> {
    const raw = await this.started();
    const reply = raw.call(method, data, options.timeout);
    this.refreshStatus();
    try {
      return (await reply) as R;
    } catch (e) {
      throw toError(e);
    } finally {
      this.refreshStatus();
    }
  }

  /** Subscribes to `channel`. Events start once connected; see {@link Subscription}. */
  subscribe<T = unknown>(channel: string): Subscription<T> {
    const sub = new Subscription<T>(channel, (s) => this.subscriptions.delete(s as Subscription<never>));
    this.subscriptions.add(sub as Subscription<never>);
    if (this.raw !== null) sub.attach(this.raw);
    return sub;
  }

  /** Members present in a subscribed channel. */
  presence(channel: string): PresenceMember[] {
    return this.raw?.presence(channel) ?? [];
  }

  /** Reconnects at once if waiting to retry, or checks the connection with a ping. */
  reconnectNow(): void {
    this.raw?.reconnectNow();
  }

  /** Replaces the token sent on the next connect. */
  setToken(token: string | null): void {
    this.options.token = token;
    this.raw?.setToken(token ?? undefined);
  }

  /**
   * Closes the connection; pending requests fail with `ClientClosedError`. Subscriptions
   * are kept and resume on the next `connect()`.
   */
  async close(): Promise<void> {
    const raw = this.raw ?? (await this.starting?.catch(() => null)) ?? null;
    if (raw !== null) await raw.close();
    this.refreshStatus();
  }

  /** Closes, ends every subscription and frees the module's client. */
  async dispose(): Promise<void> {
    await this.close();
    for (const sub of [...this.subscriptions]) sub.unsubscribe();
    this.removeAllListeners();
    this.raw?.free();
    this.raw = null;
    this.starting = null;
  }

  private started(): Promise<RawClient> {
    if (this.raw !== null) return Promise.resolve(this.raw);
    if (this.starting !== null) return this.starting;
    return Promise.reject(new ClientClosedError(ErrorCode.Closed, "call connect() first"));
  }

  private onRawEvent(event: RawConnectionEvent): void {
    switch (event.type) {
      case "connecting":
        this.emit("connecting", { attempt: event.attempt });
        break;
      case "connected":
        this.emit("connected", { session: event.session });
        break;
      case "disconnected":
        this.emit("disconnected", {
          code: event.code,
          closeCode: event.closeCode,
          reason: event.reason,
          reconnect: event.reconnect,
        });
        break;
      case "reconnecting":
        this.emit("reconnecting", { attempt: event.attempt, delay: event.delay });
        break;
      case "closed":
        this.emit("closed", { code: event.code, closeCode: event.closeCode, reason: event.reason });
        break;
      case "error":
        this.emit("error", { error: fromRaw(event.error) });
        break;
    }
    this.refreshStatus();
  }

  private refreshStatus(): void {
    const before = this.snapshot;
    if (this.status() !== before) this.emit("status", this.snapshot);
  }
}

function sameOrNew(current: ClientStatus, raw: RawStatus): ClientStatus {
  // A module client exists only after `connect()`; before its driver first runs it
  // still says idle.
  const state = raw.state === "idle" ? ClientState.Connecting : (raw.state as ClientState);
  if (
    current.state === state &&
    current.attempt === raw.attempt &&
    current.nextRetry === raw.nextRetry &&
    current.queuedItems === raw.queuedItems &&
    current.queuedBytes === raw.queuedBytes &&
    current.session === raw.session
  ) {
    return current;
  }
  return Object.freeze({ ...raw, state });
}
