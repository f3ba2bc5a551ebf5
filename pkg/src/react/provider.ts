import { createContext, createElement, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import { Client } from "../client.js";
import type { ClientOptions } from "../types.js";
import { ChannelRegistry } from "./channel-store.js";
import { ConnectionStore } from "./connection-store.js";

/** Props of {@link ResocketProvider}. */
export interface ResocketProviderProps {
  /** WebSocket URL of the server, e.g. `wss://example.com/ws`. */
  url: string;
  /** Client options; compared by value, so an inline object does not recreate the client. */
  options?: ClientOptions;
  /** Messages each channel keeps for `useChannel` (default 500); older ones are dropped. */
  messageLimit?: number;
  children?: ReactNode;
}

/** What the provider shares with the hooks: one client and the stores built on it. */
interface ResocketContextValue {
  client: Client;
  connection: ConnectionStore;
  channels: ChannelRegistry;
  lifecycle: ClientLifecycle;
}

const ResocketContext = createContext<ResocketContextValue | null>(null);

/**
 * Owns one {@link Client} for the components below it: connects when first mounted and
 * disposes of the client when unmounted. A new client is made only when `url`,
 * `options` (by value) or `messageLimit` change.
 *
 * React may run effects twice (StrictMode) or unmount and remount a tree within one
 * task. Disposal is therefore deferred to a later task and cancelled by a remount, so
 * such a cycle keeps the one socket instead of closing it and opening another. The
 * channel hooks release their subscriptions the same way.
 */
export function ResocketProvider(props: ResocketProviderProps): ReactNode {
  const { url, options, messageLimit = 500, children } = props;
  const optionsKey = JSON.stringify(options ?? {});
  // Bumped when a disposed client's tree is shown again (e.g. by `<Activity>`).
  const [generation, setGeneration] = useState(0);
  // Creating a client has no side effect (it connects in the effect below), so a render
  // React throws away leaves nothing behind.
  const value = useMemo(
    () => createValue(url, JSON.parse(optionsKey) as ClientOptions, messageLimit),
    // `generation` only forces a new client.
    [url, optionsKey, messageLimit, generation],
  );
  useEffect(() => {
    if (!value.lifecycle.acquire()) {
      setGeneration((g) => g + 1);
      return undefined;
    }
    return () => value.lifecycle.release();
  }, [value]);
  return createElement(ResocketContext.Provider, { value }, children);
}

function createValue(url: string, options: ClientOptions, messageLimit: number): ResocketContextValue {
  const client = new Client(url, options);
  const connection = new ConnectionStore(client);
  const channels = new ChannelRegistry(client, messageLimit);
  return { client, connection, channels, lifecycle: new ClientLifecycle(client, channels) };
}

/**
 * Counts the provider's mounts: connects on the first, disposes of the client one task
 * after the last unmount unless a mount came back in between. A disposed client is not
 * revived: the provider makes a new one.
 */
class ClientLifecycle {
  private mounts = 0;
  private started = false;
  private disposed = false;
  private disposeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly client: Client,
    private readonly channels: ChannelRegistry,
  ) {}

  /** Returns false when the client was already disposed of. */
  acquire(): boolean {
    if (this.disposed) return false;
    this.mounts += 1;
    if (this.disposeTimer !== null) {
      clearTimeout(this.disposeTimer);
      this.disposeTimer = null;
    }
    if (!this.started) {
      this.started = true;
      this.client.connect();
    }
    return true;
  }

  release(): void {
    this.mounts -= 1;
    if (this.mounts > 0 || this.disposeTimer !== null) return;
    this.disposeTimer = setTimeout(() => {
      this.disposeTimer = null;
      this.disposed = true;
      this.channels.dispose();
      void this.client.dispose();
    }, 0);
  }
}

/** @internal The provider's value; throws outside a provider. */
export function useResocketContext(): ResocketContextValue {
  const value = useContext(ResocketContext);
  if (value === null) {
    throw new Error("resocket/react: this hook must be used inside a <ResocketProvider>");
  }
  return value;
}

/** The provider's {@link Client}, for anything the hooks do not cover. */
export function useClient(): Client {
  return useResocketContext().client;
}
