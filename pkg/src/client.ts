import { ErrorCode } from "./codes.js";
import { Driver, type CoreEvent } from "./driver.js";
import { Emitter } from "./emitter.js";
import { ClientClosedError, fromRaw } from "./errors.js";
import { encode } from "./msgpack.js";
import { coreOptions } from "./options.js";
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
import { RawCore, type RawError } from "./wasm/resocket_wasm.js";

const IDLE: ClientStatus = Object.freeze({
  state: ClientState.Idle,
  attempt: 0,
  nextRetry: null,
  queuedItems: 0,
  queuedBytes: 0,
  session: null,
});

/** A request waiting for its `published` or `reply` action. */
interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** The subscriptions to one channel, which share one subscription of the core. */
interface Channel {
  subs: Set<Subscription<never>>;
  /** The core confirmed the subscription (a `subscribed` event came). */
  live: boolean;
  members: Map<string, PresenceMember>;
}

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
 * All the logic runs in the WebAssembly module (the Rust `resocket` client core); this
 * class routes its events to typed events, promises and subscriptions.
 */
export class Client extends Emitter<ClientEvents> {
  private driver: Driver | null = null;
  private starting: Promise<Driver> | null = null;
  private readonly channels = new Map<string, Channel>();
  private readonly pending = new Map<number, Pending>();
  private attempt = 0;
  private nextRetry: number | null = null;
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
    const raw = this.driver?.status;
    if (raw !== undefined) {
      // A core exists only after `connect()`; before it first runs it still says idle.
      const state = raw.state === "idle" ? ClientState.Connecting : (raw.state as ClientState);
      const nextRetry = state === ClientState.Connecting ? this.nextRetry : null;
      const s = this.snapshot;
      if (
        s.state !== state ||
        s.attempt !== this.attempt ||
        s.nextRetry !== nextRetry ||
        s.queuedItems !== raw.queuedItems ||
        s.queuedBytes !== raw.queuedBytes ||
        s.session !== raw.session
      ) {
        this.snapshot = Object.freeze({
          state,
          attempt: this.attempt,
          nextRetry,
          queuedItems: raw.queuedItems,
          queuedBytes: raw.queuedBytes,
          session: raw.session,
        });
      }
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
    if (this.driver !== null) {
      this.driver.input((core, t) => core.connect(t));
      this.refreshStatus();
      return;
    }
    if (this.starting !== null) return;
    this.starting = init().then(() => {
      const [numbers, token, clientName] = coreOptions(this.options, randomSeed());
      const core = new RawCore(numbers, token, clientName);
      const driver = new Driver(core, this.url, (event) => this.onEvent(event));
      this.driver = driver;
      driver.input((core, t) => {
        for (const name of this.channels.keys()) this.subscribeCore(core, t, name);
        core.connect(t);
      });
      this.refreshStatus();
      return driver;
    });
    this.starting.catch((e: unknown) => {
      this.starting = null;
      const error = e instanceof Error ? e.message : String(e);
      this.emit("error", {
        error: new ClientClosedError(ErrorCode.Closed, `cannot start the client: ${error}`),
      });
    });
    // `connecting` comes from the core, the first attempt included.
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
    const payload = encode(data);
    const driver = await this.started();
    return (await this.request(driver, "publish", (core, t) => core.publish(t, channel, payload, options.timeout))) as PublishResult;
  }

  /**
   * Calls the server's RPC handler `method` with `data` and resolves with its reply.
   * A call still queued when its timeout passes is never sent.
   */
  async call<R = unknown>(method: string, data: unknown, options: RequestOptions = {}): Promise<R> {
    const payload = encode(data);
    const driver = await this.started();
    return (await this.request(driver, "call", (core, t) => core.call(t, method, payload, options.timeout))) as R;
  }

  /** Subscribes to `channel`. Events start once connected; see {@link Subscription}. */
  subscribe<T = unknown>(channel: string): Subscription<T> {
    const sub = new Subscription<T>(channel, (s) => this.unsubscribe(s as Subscription<never>));
    let entry = this.channels.get(channel);
    if (entry === undefined) {
      entry = { subs: new Set(), live: false, members: new Map() };
      this.channels.set(channel, entry);
      this.driver?.input((core, t) => this.subscribeCore(core, t, channel));
    } else if (entry.live) {
      // The channel is already subscribed: this subscription starts from here, with the
      // current presence set (once its listeners are attached).
      const members = [...entry.members.values()];
      queueMicrotask(() => {
        sub.handle({ type: "subscribed", outcome: "fresh", replayed: 0, channel });
        sub.handle({ type: "presence", kind: "snapshot", members, channel });
      });
    }
    entry.subs.add(sub as Subscription<never>);
    return sub;
  }

  /** Members present in a subscribed channel. */
  presence(channel: string): PresenceMember[] {
    return [...(this.channels.get(channel)?.members.values() ?? [])];
  }

  /** Reconnects at once if waiting to retry, or checks the connection with a ping. */
  reconnectNow(): void {
    this.driver?.input((core, t) => core.reconnectNow(t));
  }

  /** Replaces the token sent on the next connect. */
  setToken(token: string | null): void {
    this.options.token = token;
    this.driver?.core.setToken(token ?? undefined);
  }

  /**
   * Closes the connection; pending requests fail with `ClientClosedError`. Subscriptions
   * are kept and resume on the next `connect()`.
   */
  async close(): Promise<void> {
    const driver = this.driver ?? (await this.starting?.catch(() => null)) ?? null;
    driver?.input((core, t) => core.close(t));
    this.refreshStatus();
  }

  /** Closes, ends every subscription and frees the module's client. */
  async dispose(): Promise<void> {
    await this.close();
    for (const { subs } of [...this.channels.values()]) for (const sub of [...subs]) sub.unsubscribe();
    this.removeAllListeners();
    const driver = this.driver;
    this.driver = null;
    this.starting = null;
    if (driver !== null) {
      driver.stop();
      driver.core.free();
    }
    const closed = new ClientClosedError(ErrorCode.Closed, "the client was disposed");
    for (const p of this.pending.values()) p.reject(closed);
    this.pending.clear();
  }

  private started(): Promise<Driver> {
    if (this.driver !== null) return Promise.resolve(this.driver);
    if (this.starting !== null) return this.starting;
    return Promise.reject(new ClientClosedError(ErrorCode.Closed, "call connect() first"));
  }

  /** Submits a publish or call; its result arrives as a `published` or `reply` event. */
  private request(
    driver: Driver,
    kind: "publish" | "call",
    submit: (core: RawCore, now: number) => number,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = submit(driver.core, performance.now());
      // Registered before the core's actions are carried out, which may settle it.
      if (id >= 0) this.pending.set(id, { resolve, reject });
      else reject(fromRaw(JSON.parse(driver.core.refusal()) as RawError, kind));
      driver.drain();
      this.refreshStatus();
    });
  }

  /** Subscribes the core to a channel; a refusal reaches its subscriptions as `failed`. */
  private subscribeCore(core: RawCore, now: number, name: string): void {
    if (!core.subscribe(now, name)) {
      this.onEvent({ type: "failed", error: JSON.parse(core.refusal()) as RawError, channel: name });
    }
  }

  private unsubscribe(sub: Subscription<never>): void {
    const channel = this.channels.get(sub.channel);
    if (channel === undefined || !channel.subs.delete(sub) || channel.subs.size > 0) return;
    this.channels.delete(sub.channel);
    this.driver?.input((core, t) => core.unsubscribe(t, sub.channel));
  }

  private onEvent(event: CoreEvent): void {
    switch (event.type) {
      case "published":
      case "reply": {
        const p = this.pending.get(event.id);
        if (p === undefined) return;
        this.pending.delete(event.id);
        if (event.error !== undefined) p.reject(fromRaw(event.error, event.type === "published" ? "publish" : "call"));
        else p.resolve(event.type === "published" ? event.ack : (event.data ?? null));
        break;
      }
      case "connecting":
        this.emit("connecting", { attempt: event.attempt });
        break;
      case "connected":
        this.attempt = 0;
        this.nextRetry = null;
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
        this.attempt = event.attempt;
        this.nextRetry = event.delay;
        this.emit("reconnecting", { attempt: event.attempt, delay: event.delay });
        break;
      case "closed":
        this.emit("closed", { code: event.code, closeCode: event.closeCode, reason: event.reason });
        break;
      case "error":
        if ("channel" in event) this.toChannel(event.channel, event);
        else this.emit("error", { error: fromRaw(event.error) });
        break;
      default:
        this.toChannel(event.channel, event);
    }
    this.refreshStatus();
  }

  /** Keeps the channel's presence set and state, and hands the event to its subscriptions. */
  private toChannel(name: string, event: Parameters<Subscription["handle"]>[0]): void {
    const channel = this.channels.get(name);
    if (channel === undefined) return;
    switch (event.type) {
      case "subscribed":
        channel.live = true;
        break;
      case "failed":
        this.channels.delete(name);
        break;
      case "presence": {
        const members = channel.members;
        if (event.kind === "snapshot") {
          members.clear();
          for (const m of event.members) members.set(m.session, m);
        } else if (event.kind === "join") members.set(event.member.session, event.member);
        else members.delete(event.member.session);
        break;
      }
    }
    for (const sub of [...channel.subs]) sub.handle(event);
  }

  private refreshStatus(): void {
    const before = this.snapshot;
    if (this.status() !== before) this.emit("status", this.snapshot);
  }
}

/** A seed for the core's backoff jitter and message ids, from Web Crypto when present. */
function randomSeed(): number {
  const words = new Uint32Array(2);
  if (typeof crypto !== "undefined" && typeof crypto.getRandomValues === "function") {
    crypto.getRandomValues(words);
  } else {
    words[0] = Math.random() * 0x100000000;
    words[1] = Math.random() * 0x100000000;
  }
  // At most 2^53 - 1 (a number the module reads exactly), never 0.
  return (words[0]! & 0x1fffff) * 0x100000000 + words[1]! + 1;
}
