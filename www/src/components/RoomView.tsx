import { Fragment, useEffect, useLayoutEffect, useRef, useState, type FormEvent, type ReactNode } from "react";

import { useRoom, type ShownLine } from "../useRoom";
import { Avatar } from "./Avatar";

interface Props {
  room: string;
  me: string;
  active: boolean;
  onUnread: () => void;
}

/**
 * One room: its lines, who is typing, the reset notice and the composer. Every joined
 * room stays mounted (hidden unless active), so it keeps its subscription and lines.
 */
export function RoomView({ room, me, active, onUnread }: Props): ReactNode {
  const { lines, typing, lastReset, resets, loading, send, retry, notifyTyping } = useRoom(room, me, active, onUnread);
  const [draft, setDraft] = useState("");
  const [dismissedResets, setDismissedResets] = useState(0);
  const end = useRef<HTMLLIElement>(null);
  const input = useRef<HTMLInputElement>(null);

  useLayoutEffect(() => {
    if (active) end.current?.scrollIntoView({ block: "end" });
  }, [active, lines.length]);
  useEffect(() => {
    if (active) input.current?.focus();
  }, [active]);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const text = draft.trim();
    if (text === "") return;
    send(text);
    setDraft("");
  };

  return (
    <section className="room" hidden={!active} data-room={room}>
      {lastReset !== null && resets > dismissedResets && (
        <div className="notice" data-testid="reset-notice" role="alert">
          <strong>Some messages may be missing.</strong> The server no longer had what was sent to this room
          while you were away (it restarted, or its history expired), so it could not be replayed.
          <button type="button" className="link" onClick={() => setDismissedResets(resets)}>
            Dismiss
          </button>
        </div>
      )}
      <ol className="lines" data-testid="lines">
        {loading && lines.length === 0 && <li className="empty">Joining #{room}…</li>}
        {!loading && lines.length === 0 && <li className="empty">No messages yet. Say hello!</li>}
        {lines.map((l, i) => (
          <Fragment key={l.key}>
            {l.afterReset && (
              <li className="gap" data-testid="reset-gap">
                <span>messages may be missing here</span>
              </li>
            )}
            <Line shown={l} grouped={!l.afterReset && i > 0 && lines[i - 1]?.line.user === l.line.user} onRetry={retry} />
          </Fragment>
        ))}
        <li ref={end} className="end" aria-hidden="true" />
      </ol>
      <div className="typing" data-testid="typing" aria-live="polite">
        {typing.length > 0 && (
          <>
            <span className="dots">
              <i />
              <i />
              <i />
            </span>
            {typingText(typing)}
          </>
        )}
      </div>
      <form className="composer" onSubmit={submit}>
        <input
          ref={input}
          data-testid="composer"
          value={draft}
          placeholder={`Message #${room}`}
          maxLength={2000}
          onChange={(e) => {
            setDraft(e.target.value);
            if (e.target.value !== "") notifyTyping();
          }}
        />
        <button type="submit" disabled={draft.trim() === ""}>
          Send
        </button>
      </form>
    </section>
  );
}

function typingText(users: string[]): string {
  if (users.length === 1) return `${users[0]} is typing…`;
  if (users.length === 2) return `${users[0]} and ${users[1]} are typing…`;
  return `${users.length} people are typing…`;
}

const STATUS_LABEL: Record<ShownLine["status"], string> = {
  pending: "Pending",
  sent: "Sent",
  read: "Read",
  failed: "Not sent",
  received: "",
};

function Line({ shown, grouped, onRetry }: { shown: ShownLine; grouped: boolean; onRetry: (id: string) => void }): ReactNode {
  const { line, mine, status, seenBy, newestMine } = shown;
  const label = status === "read" ? `Read by ${seenBy.join(", ")}` : STATUS_LABEL[status];
  // Pending and failed lines always say so; of the others, only the newest spells it out.
  const spelled = status === "pending" || status === "failed" || newestMine;
  const time = new Date(line.sentAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return (
    <li
      className={`line ${mine ? "mine" : "theirs"} ${status}${grouped ? " grouped" : ""}`}
      data-testid="line"
      data-status={status}
      data-user={line.user}
    >
      {!mine && (grouped ? <span className="avatar-space" /> : <Avatar name={line.user} />)}
      <div className="bubble">
        {!mine && !grouped && <div className="author">{line.user}</div>}
        <div className="text" data-testid="line-text">
          {line.text}
        </div>
        <div className="meta">
          <time>{time}</time>
          {mine && (
            <span className={`ticks ${status}`} title={label} data-testid="ticks">
              {status === "pending" && <ClockIcon />}
              {status === "sent" && "✓"}
              {status === "read" && "✓✓"}
              {status === "failed" && "!"}
              {spelled && <span className="label">{label}</span>}
            </span>
          )}
        </div>
        {status === "failed" && (
          <div className="failed">
            {shown.error ?? "Not sent"}{" "}
            <button type="button" className="link" onClick={() => onRetry(line.id)}>
              Retry
            </button>
          </div>
        )}
      </div>
    </li>
  );
}

function ClockIcon(): ReactNode {
  return (
    <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
      <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
      <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
    </svg>
  );
}
