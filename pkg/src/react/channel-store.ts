import type { Client } from "../client.js";
import type { ResocketError } from "../errors.js";
import type { Subscription } from "../subscription.js";
import type {
  MessageContext,
  PresenceMember,
  ResetContext,
  SubscribedContext,
} from "../types.js";

/** What the channel hooks see of one channel. Replaced as a whole when anything changes. */
export interface ChannelState<T = unknown> {
  readonly channel: string;
  /**
   * `subscribing` until the server first confirms, then `subscribed` (also while the
   * connection is down: the channel resumes on reconnect), or `failed` when the server
   * refused or ended the subscription (see `error`).
   */
  readonly status: "subscribing" | "subscribed" | "failed";
  /** Messages in delivery order (exactly once each), the newest last, up to the provider's limit. */
  readonly messages: readonly MessageContext<T>[];
  /** The last `subscribed` event: `fresh` first, then `recovered` or `reset` after reconnects. */
  readonly subscribed: SubscribedContext | null;
  /** The last time messages were lost for good, if ever. */
  readonly lastReset: ResetContext | null;
  /** How many times messages were lost for good. */
  readonly resets: number;
  /** Members present in the channel. */
  readonly presence: readonly PresenceMember[];
  /** The last subscription error (terminal when `status` is `failed`). */
  readonly error: ResocketError | null;
}

type Listener<T> = (value: T) => void;

/**
 * One channel shared by every hook that uses it: one client subscription, opened by the
 * first hook that mounts and ended one task after the last one unmounts (so that a
 * StrictMode remount or a component moving in the tree keeps it).
 */
export class ChannelStore<T = unknown> {
  private refs = 0;
  private sub: Subscription<T> | null = null;
  private closeTimer: ReturnType<typeof setTimeout> | null = null;
  private state: ChannelState<T>;
  private readonly listeners = new Set<() => void>();
  private readonly messageListeners = new Set<Listener<MessageContext<T>>>();
  private readonly resetListeners = new Set<Listener<ResetContext>>();

  constructor(
    private readonly client: Client,
    readonly channel: string,
    private readonly messageLimit: number,
    private readonly isDisposed: () => boolean,
  ) {
    this.state = initialState(channel);
  }

  /** Holds the subscription open; pair with {@link release}. */
  acquire(): void {
    if (this.isDisposed()) return;
    this.refs += 1;
    if (this.closeTimer !== null) {
      clearTimeout(this.closeTimer);
      this.closeTimer = null;
    }
    if (this.sub === null) this.open();
  }

  release(): void {
    if (this.refs === 0) return;
    this.refs -= 1;
    if (this.refs > 0 || this.closeTimer !== null) return;
    this.closeTimer = setTimeout(() => {
      this.closeTimer = null;
      if (this.refs === 0) this.close();
    }, 0);
  }

  /** Ends the subscription now (the provider is going away). */
  close(): void {
    if (this.closeTimer !== null) {
      clearTimeout(this.closeTimer);
      this.closeTimer = null;
    }
    const sub = this.sub;
    this.sub = null;
    sub?.unsubscribe();
    // A later acquire starts over: what was delivered before belongs to another
    // subscription, with a gap in between.
    this.setState(initialState(this.channel));
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getState = (): ChannelState<T> => this.state;

  onMessage(listener: Listener<MessageContext<T>>): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  onReset(listener: Listener<ResetContext>): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  private open(): void {
    const sub = this.client.subscribe<T>(this.channel);
    this.sub = sub;
    const live = (): boolean => this.sub === sub;
    sub.on("message", (m) => {
      if (!live()) return;
      const kept = this.state.messages;
      const messages =
        kept.length >= this.messageLimit ? [...kept.slice(kept.length - this.messageLimit + 1), m] : [...kept, m];
      this.setState({ ...this.state, messages });
      for (const listener of [...this.messageListeners]) listener(m);
    });
    sub.on("subscribed", (ctx) => {
      if (!live()) return;
      this.setState({ ...this.state, status: "subscribed", subscribed: ctx, error: null });
    });
    sub.on("reset", (ctx) => {
      if (!live()) return;
      this.setState({ ...this.state, lastReset: ctx, resets: this.state.resets + 1 });
      for (const listener of [...this.resetListeners]) listener(ctx);
    });
    sub.on("presence", ({ members }) => {
      if (!live()) return;
      this.setState({ ...this.state, presence: members });
    });
    sub.on("error", ({ error, terminal }) => {
      if (!live()) return;
      if (terminal) this.sub = null;
      this.setState({ ...this.state, error, status: terminal ? "failed" : this.state.status });
    });
  }

  private setState(state: ChannelState<T>): void {
    this.state = Object.freeze(state);
    for (const listener of [...this.listeners]) listener();
  }
}

function initialState<T>(channel: string): ChannelState<T> {
  return Object.freeze({
    channel,
    status: "subscribing",
    messages: [],
    subscribed: null,
    lastReset: null,
    resets: 0,
    presence: [],
    error: null,
  });
}

/** The provider's channels by name, each a {@link ChannelStore} shared by all its hooks. */
export class ChannelRegistry {
  private readonly stores = new Map<string, ChannelStore<unknown>>();
  private disposed = false;

  constructor(
    private readonly client: Client,
    private readonly messageLimit: number,
  ) {}

  /** The store of `channel`, created (not yet subscribed) on first use. */
  get<T>(channel: string): ChannelStore<T> {
    let store = this.stores.get(channel);
    if (store === undefined) {
      store = new ChannelStore<unknown>(this.client, channel, this.messageLimit, () => this.disposed);
      this.stores.set(channel, store);
    }
    return store as ChannelStore<T>;
  }

  /** Ends every subscription; later acquires do nothing. */
  dispose(): void {
    this.disposed = true;
    for (const store of this.stores.values()) store.close();
  }
}
