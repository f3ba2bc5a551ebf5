/**
 * React bindings: `import { ResocketProvider, useChannel } from "resocket/react"`.
 *
 * `<ResocketProvider url options>` owns one client; the hooks read it:
 * `useClient()`, `useConnectionState()`, `useChannel(channel, onMessage?)`,
 * `usePresence(channel)` and `useCall()`. Needs React 18 or later.
 */
export { ResocketProvider, useClient, type ResocketProviderProps } from "./react/provider.js";
export {
  useCall,
  useChannel,
  useConnectionState,
  usePresence,
  type UseCallResult,
  type UseChannelOptions,
  type UseChannelResult,
} from "./react/hooks.js";
export type { ChannelState } from "./react/channel-store.js";
export type { ConnectionState } from "./react/connection-store.js";

/**
 * @deprecated Always true now that the hooks ship; kept so that code written against
 * the placeholder entry still compiles.
 */
export const REACT_BINDINGS_AVAILABLE = true as const;
