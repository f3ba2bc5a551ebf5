import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from "react";
import { ResocketProvider, usePresence } from "resocket/react";

import { DEFAULT_ROOMS, cleanRoom, metaChannel } from "./chat";
import { Avatar } from "./components/Avatar";
import { ConnectionIndicator } from "./components/ConnectionIndicator";
import { PresenceList } from "./components/PresenceList";
import { RoomView } from "./components/RoomView";
import { cleanName, forgetName, initialName, saveName, serverUrl, suggestName } from "./identity";

const ROOMS_KEY = "resocket-chat:rooms";

export function App(): ReactNode {
  const [name, setName] = useState(initialName);
  if (name === null) {
    return (
      <NamePrompt
        onDone={(n) => {
          saveName(n);
          setName(n);
        }}
      />
    );
  }
  return (
    // The development server takes the token as the user name; a real deployment
    // would pass a JWT here.
    <ResocketProvider url={serverUrl()} options={{ token: name, clientName: "resocket-chat" }}>
      <Chat
        me={name}
        onSignOut={() => {
          forgetName();
          setName(null);
        }}
      />
    </ResocketProvider>
  );
}

function NamePrompt({ onDone }: { onDone: (name: string) => void }): ReactNode {
  const [draft, setDraft] = useState(suggestName);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const name = cleanName(draft);
    if (name !== "") onDone(name);
  };
  return (
    <main className="welcome">
      <form className="card" onSubmit={submit}>
        <h1>
          <span className="logo" /> resocket chat
        </h1>
        <p>Pick a name to join. Messages you send while offline wait and go out when you are back.</p>
        <label htmlFor="name">Your name</label>
        <input id="name" value={draft} onChange={(e) => setDraft(e.target.value)} maxLength={24} autoFocus />
        <button type="submit" disabled={cleanName(draft) === ""}>
          Join
        </button>
      </form>
    </main>
  );
}

function roomFromHash(): string | null {
  const room = cleanRoom(decodeURIComponent(location.hash.slice(1)));
  return room === "" ? null : room;
}

function loadRooms(): string[] {
  try {
    const saved = JSON.parse(localStorage.getItem(ROOMS_KEY) ?? "[]") as unknown;
    const extra = Array.isArray(saved) ? saved.filter((r): r is string => typeof r === "string") : [];
    const rooms = [...new Set([...DEFAULT_ROOMS, ...extra])];
    const fromHash = roomFromHash();
    return fromHash === null || rooms.includes(fromHash) ? rooms : [...rooms, fromHash];
  } catch {
    return DEFAULT_ROOMS;
  }
}

function Chat({ me, onSignOut }: { me: string; onSignOut: () => void }): ReactNode {
  const [rooms, setRooms] = useState(loadRooms);
  const [active, setActive] = useState(() => roomFromHash() ?? DEFAULT_ROOMS[0] ?? "general");
  const [unread, setUnread] = useState<Record<string, number>>({});
  const [newRoom, setNewRoom] = useState("");

  useEffect(() => {
    const onHash = (): void => {
      const room = roomFromHash();
      if (room === null) return;
      setRooms((list) => (list.includes(room) ? list : [...list, room]));
      setActive(room);
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    if (roomFromHash() !== active) history.replaceState(null, "", `#${active}`);
    setUnread((u) => (u[active] ? { ...u, [active]: 0 } : u));
    document.title = `#${active} · resocket chat`;
  }, [active]);
  useEffect(() => {
    localStorage.setItem(ROOMS_KEY, JSON.stringify(rooms.filter((r) => !DEFAULT_ROOMS.includes(r))));
  }, [rooms]);

  const bump = useCallback((room: string) => setUnread((u) => ({ ...u, [room]: (u[room] ?? 0) + 1 })), []);

  const addRoom = (e: FormEvent): void => {
    e.preventDefault();
    const room = cleanRoom(newRoom);
    if (room === "") return;
    setRooms((list) => (list.includes(room) ? list : [...list, room]));
    setActive(room);
    setNewRoom("");
  };

  return (
    <div className="app">
      <aside className="sidebar">
        <div className="brand">
          <span className="logo" /> resocket chat
        </div>
        <nav className="rooms" aria-label="Rooms">
          <h2>Rooms</h2>
          <ul>
            {rooms.map((room) => (
              <li key={room}>
                <button
                  type="button"
                  className={room === active ? "room-link active" : "room-link"}
                  onClick={() => setActive(room)}
                  data-testid={`room-${room}`}
                >
                  <span className="hash">#</span>
                  {room}
                  {(unread[room] ?? 0) > 0 && <span className="badge">{unread[room]}</span>}
                </button>
              </li>
            ))}
          </ul>
          <form className="add-room" onSubmit={addRoom}>
            <input value={newRoom} onChange={(e) => setNewRoom(e.target.value)} placeholder="Join or create a room" />
          </form>
        </nav>
        <PresenceList room={active} me={me} />
        <div className="me">
          <Avatar name={me} size={28} />
          <span className="name" data-testid="me">
            {me}
          </span>
          <button type="button" className="link" onClick={onSignOut}>
            Change name
          </button>
        </div>
      </aside>
      <main className="chat">
        <header className="chat-header">
          <div>
            <h1>#{active}</h1>
            <OnlineCount room={active} />
          </div>
          <ConnectionIndicator />
        </header>
        {rooms.map((room) => (
          <RoomView key={room} room={room} me={me} active={room === active} onUnread={() => bump(room)} />
        ))}
      </main>
    </div>
  );
}

function OnlineCount({ room }: { room: string }): ReactNode {
  const users = new Set(usePresence(metaChannel(room)).map((m) => m.user));
  return <p className="subtitle">{users.size === 1 ? "1 person here" : `${users.size} people here`}</p>;
}
