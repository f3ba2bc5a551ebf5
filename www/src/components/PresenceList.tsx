import type { ReactNode } from "react";
import { ClientState } from "resocket";
import { useConnectionState, usePresence } from "resocket/react";

import { metaChannel } from "../chat";
import { Avatar } from "./Avatar";

/** Who is in the room: one entry per user, however many tabs they have open. */
export function PresenceList({ room, me }: { room: string; me: string }): ReactNode {
  const members = usePresence(metaChannel(room));
  // While disconnected the list is what we knew last; joins and leaves resume on reconnect.
  const live = useConnectionState().state === ClientState.Connected;
  const users = [...new Set(members.map((m) => m.user ?? "anonymous"))].sort((a, b) =>
    a === me ? -1 : b === me ? 1 : a.localeCompare(b),
  );
  return (
    <section className={live ? "presence" : "presence stale"}>
      <h2>
        {live ? "Online" : "Last seen"} in #{room} <span className="count">{users.length}</span>
      </h2>
      <ul data-testid="presence">
        {users.map((user) => (
          <li key={user} data-user={user}>
            <Avatar name={user} size={24} />
            <span className="name">{user}</span>
            {user === me && <span className="you">you</span>}
            <span className="online-dot" aria-label="online" />
          </li>
        ))}
      </ul>
    </section>
  );
}
