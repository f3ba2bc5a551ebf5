import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";

import { ResocketError } from "../errors.js";
import type {
  MessageContext,
  PresenceMember,
  PublishResult,
  RequestOptions,
  ResetContext,
} from "../types.js";
import type { ChannelState, ChannelStore } from "./channel-store.js";
import type { ConnectionState } from "./connection-store.js";
import { useResocketContext } from "./provider.js";

/**
 * The connection's state for status displays: `state`, reconnect `attempt`, `nextRetry`
 * and `retryAt`, the offline queue, and the last error and disconnect. Re-renders only
 * when one of them changes.
 */
export function useConnectionState(): ConnectionState {
  const { connection } = useResocketContext();
  return useSyncExternalStore(connection.subscribe, connection.getSnapshot, connection.getSnapshot);
}

/** Options of {@link useChannel}. */
export interface UseChannelOptions<T> {
  /** Called once for each message delivered while the component is mounted. */
  onMessage?: (message: MessageContext<T>) => void;
  /** Called when messages were lost for good (the app should reload what it shows). */
  onReset?: (reset: ResetContext) => void;
}

/** What {@link useChannel} returns. */
export interface UseChannelResult<T> extends ChannelState<T> {
  /** Publishes to the channel; while offline the publish waits in the client's queue. */
  publish: (data: T, options?: RequestOptions) => Promise<PublishResult>;
}

/**
 * Subscribes to `channel` while the component is mounted. Every component using the
 * same channel shares one subscription (and one list of messages); the subscription
 * ends shortly after the last of them unmounts.
 *
 * ```tsx
 * const { messages, lastReset, publish } = useChannel<Line>("room:lobby");
 * ```
 */
export function useChannel<T = unknown>(
  channel: string,
  onMessage?: (message: MessageContext<T>) => void,
  options: Omit<UseChannelOptions<T>, "onMessage"> = {},
): UseChannelResult<T> {
  const { client } = useResocketContext();
  const store = useChannelStore<T>(channel);
  const state = useSyncExternalStore(store.subscribe, store.getState, store.getState);

  const handlers = useRef<UseChannelOptions<T>>({});
  handlers.current = { ...options, ...(onMessage === undefined ? {} : { onMessage }) };
  useEffect(() => {
    const offMessage = store.onMessage((m) => handlers.current.onMessage?.(m));
    const offReset = store.onReset((r) => handlers.current.onReset?.(r));
    return () => {
      offMessage();
      offReset();
    };
  }, [store]);

  const publish = useCallback(
    (data: T, requestOptions?: RequestOptions) => client.publish(channel, data, requestOptions),
    [client, channel],
  );
  return { ...state, publish };
}

/**
 * Members present in `channel`. Subscribes to the channel (sharing the subscription
 * with `useChannel` on the same channel) while the component is mounted.
 */
export function usePresence(channel: string): readonly PresenceMember[] {
  const store = useChannelStore(channel);
  const getPresence = useCallback(() => store.getState().presence, [store]);
  return useSyncExternalStore(store.subscribe, getPresence, getPresence);
}

function useChannelStore<T>(channel: string): ChannelStore<T> {
  const { channels } = useResocketContext();
  // Looking the store up has no side effect; holding it open happens in the effect.
  const store = channels.get<T>(channel);
  useEffect(() => {
    store.acquire();
    return () => store.release();
  }, [store]);
  return store;
}

/** What {@link useCall} returns. */
export interface UseCallResult<R> {
  /** Calls a server RPC method; resolves with its reply or rejects with a `ResocketError`. */
  call: (method: string, data?: unknown, options?: RequestOptions) => Promise<R>;
  /** Whether a call made through this hook is still waiting for its reply. */
  pending: boolean;
  /** The error of the latest call, once it failed; cleared when a new call starts. */
  error: ResocketError | null;
  /** The reply of the latest call, once it succeeded. */
  result: R | undefined;
}

/**
 * A `call` function with the state of its latest call, for buttons and forms:
 *
 * ```tsx
 * const { call, pending, error } = useCall<Reply>();
 * <button disabled={pending} onClick={() => call("rooms.create", { name })}>Create</button>
 * ```
 *
 * Only the latest call sets `error` and `result`; `pending` stays true while any is
 * in flight.
 */
export function useCall<R = unknown>(): UseCallResult<R> {
  const { client } = useResocketContext();
  const [inFlight, setInFlight] = useState(0);
  const [outcome, setOutcome] = useState<{ error: ResocketError | null; result: R | undefined }>({
    error: null,
    result: undefined,
  });
  const latest = useRef(0);

  const call = useCallback(
    async (method: string, data: unknown = null, options?: RequestOptions): Promise<R> => {
      const id = ++latest.current;
      setInFlight((n) => n + 1);
      setOutcome((o) => (o.error === null ? o : { ...o, error: null }));
      try {
        const result = await client.call<R>(method, data, options);
        if (id === latest.current) setOutcome({ error: null, result });
        return result;
      } catch (e) {
        const error = e instanceof ResocketError ? e : new ResocketError(0, String(e));
        if (id === latest.current) setOutcome({ error, result: undefined });
        throw error;
      } finally {
        setInFlight((n) => n - 1);
      }
    },
    [client],
  );
  return { call, pending: inFlight > 0, error: outcome.error, result: outcome.result };
}
