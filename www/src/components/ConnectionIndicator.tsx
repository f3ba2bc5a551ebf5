import { useEffect, useState, type ReactNode } from "react";
import { ClientState } from "resocket";
import { useClient, useConnectionState, type ConnectionState } from "resocket/react";

import { useNow } from "../useRoom";

type Tone = "ok" | "wait" | "down";

/** What the status pill says. */
export function describe(status: ConnectionState, online: boolean, now: number, everConnected: boolean): { text: string; tone: Tone } {
  const queued = status.queuedItems > 0 ? ` · ${status.queuedItems} queued` : "";
  // The browser knows first: a socket it cut off may still look connected for a while.
  if (!online) return { text: `Offline${queued}`, tone: "down" };
  if (status.state === ClientState.Connected) return { text: "Connected", tone: "ok" };
  if (status.state === ClientState.Closed) return { text: `Disconnected${queued}`, tone: "down" };
  if (status.retryAt !== null && status.retryAt > now) {
    const seconds = Math.max(1, Math.ceil((status.retryAt - now) / 1000));
    return { text: `Reconnecting in ${seconds} s${queued}`, tone: "wait" };
  }
  return { text: `${everConnected ? "Reconnecting…" : "Connecting…"}${queued}`, tone: "wait" };
}

/** The connection's state as a pill: connected, reconnecting in N s, offline, with the queue. */
export function ConnectionIndicator(): ReactNode {
  const client = useClient();
  const status = useConnectionState();
  const online = useOnline();
  const now = useNow(status.retryAt !== null ? 250 : null);
  const [everConnected, setEverConnected] = useState(false);
  useEffect(() => {
    if (status.state === ClientState.Connected) setEverConnected(true);
  }, [status.state]);
  const { text, tone } = describe(status, online, now, everConnected);
  const waiting = status.state !== ClientState.Connected;
  return (
    <div className={`connection ${tone}`} role="status" aria-live="polite">
      <span className="dot" />
      <span data-testid="connection">{text}</span>
      {waiting && online && (
        <button type="button" className="link" onClick={() => (status.state === ClientState.Closed ? client.connect() : client.reconnectNow())}>
          Retry now
        </button>
      )}
    </div>
  );
}

function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const update = (): void => setOnline(navigator.onLine);
    window.addEventListener("online", update);
    window.addEventListener("offline", update);
    return () => {
      window.removeEventListener("online", update);
      window.removeEventListener("offline", update);
    };
  }, []);
  return online;
}
