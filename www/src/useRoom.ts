import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ClientState, type MessageContext, type ResetContext } from "resocket";
import { useChannel, useClient, useConnectionState, usePresence } from "resocket/react";

import { messagesChannel, metaChannel, newId, type ChatLine, type Delivered, type Meta } from "./chat";

/** How a line is shown: `pending` until the server acknowledged it, then sent or read. */
export type LineStatus = "pending" | "sent" | "read" | "failed" | "received";

export interface ShownLine {
  key: string;
  line: ChatLine;
  mine: boolean;
  status: LineStatus;
  /** Who else has read up to this line (own lines only). */
  seenBy: string[];
  /** The newest of our delivered lines (where the status is spelled out). */
  newestMine: boolean;
  /** Messages before this line may be missing (the channel was reset just before it). */
  afterReset: boolean;
  /** Why sending failed. */
  error?: string;
}

export interface Room {
  lines: ShownLine[];
  typing: string[];
  lastReset: ResetContext | null;
  resets: number;
  /** True until the channel is subscribed and history had a chance to arrive. */
  loading: boolean;
  send: (text: string) => void;
  retry: (id: string) => void;
  notifyTyping: () => void;
}

interface Pending {
  line: ChatLine;
  status: "pending" | "sent" | "failed";
  error?: string;
}

const TYPING_SHOWN_MS = 5000;
const TYPING_SENT_EVERY_MS = 2000;
const HISTORY_LINES = 100;
/** A history request older than this (replayed after a reconnect) is not answered. */
const HISTORY_REQUEST_FRESH_MS = 10_000;

/**
 * Everything one room shows, built on `useChannel` and `usePresence`:
 *
 * * Lines: history handed over by another member when we joined, then the messages the
 *   channel delivered (exactly once, in order), then our own lines not delivered yet —
 *   `pending` while they wait in the client's offline queue.
 * * History: the server replays a channel only from a position the client already
 *   had, so a client that just joined asks on the meta channel, and the member already
 *   there with the lowest session id (or the next one, if it stays silent) answers
 *   with the last lines it has.
 * * Typing and read receipts travel on the meta channel too; they are only sent while
 *   connected (an old "typing…" is worth nothing later).
 */
export function useRoom(room: string, me: string, active: boolean, onUnread: () => void): Room {
  const client = useClient();
  const { state, session } = useConnectionState();
  const connected = state === ClientState.Connected;
  const metaName = metaChannel(room);
  const members = usePresence(metaName);

  const [history, setHistory] = useState<Delivered[]>([]);
  const [pending, setPending] = useState<Pending[]>([]);
  const [typingAt, setTypingAt] = useState<Record<string, number>>({});
  // Per reader, the newest offset read in each epoch (a restart starts a new epoch).
  const [receipts, setReceipts] = useState<Record<string, Record<string, number>>>({});
  // Positions of the first line delivered after each reset.
  const [resetMarks, setResetMarks] = useState<Set<string>>(() => new Set());
  const resetPending = useRef(false);
  // Per user, when they typed the last line we have: a typing notice from before it is
  // over (the two channels are replayed separately after a reconnect, in either order).
  const lastLineAt = useRef(new Map<string, number>());
  const [historyAsked, setHistoryAsked] = useState(false);

  const feed = useChannel<ChatLine>(
    messagesChannel(room),
    (m) => {
      const { user, sentAt } = m.data;
      lastLineAt.current.set(user, Math.max(sentAt, lastLineAt.current.get(user) ?? 0));
      setTypingAt((t) => (user in t ? { ...t, [user]: 0 } : t));
      if (!active && user !== me) onUnread();
      if (resetPending.current) {
        resetPending.current = false;
        setResetMarks((marks) => new Set(marks).add(`${m.epoch}:${m.offset}`));
      }
    },
    {
      onReset: () => {
        resetPending.current = true;
      },
    },
  );

  // History first, then the live messages; a history line the channel also delivered
  // is shown once, where the channel put it.
  const delivered = useMemo(() => {
    const live = new Set(feed.messages.map((m) => `${m.epoch}:${m.offset}`));
    const earlier = history.filter((h) => !live.has(`${h.epoch}:${h.offset}`));
    return [...earlier, ...feed.messages.map(toDelivered)];
  }, [history, feed.messages]);

  // The latest values, for callbacks and timers that outlive a render.
  const latest = useRef({ delivered, session, members });
  latest.current = { delivered, session, members };
  const request = useRef<string | null>(null);
  const answered = useRef(new Set<string>());

  const meta = useChannel<Meta>(metaName, ({ data }) => {
    switch (data.kind) {
      case "typing":
        if (
          data.user !== me &&
          Date.now() - data.at < TYPING_SHOWN_MS &&
          data.at > (lastLineAt.current.get(data.user) ?? 0)
        ) {
          setTypingAt((t) => ({ ...t, [data.user]: data.at }));
        }
        break;
      case "read":
        if (data.user !== me) {
          setReceipts((r) => {
            const seen = r[data.user] ?? {};
            if ((seen[data.epoch] ?? 0) >= data.offset) return r;
            return { ...r, [data.user]: { ...seen, [data.epoch]: data.offset } };
          });
        }
        break;
      case "history-request":
        answerLater(data);
        break;
      case "history":
        answered.current.add(data.request);
        if (data.request === request.current) {
          request.current = null;
          setHistory(data.lines);
        }
        break;
    }
  });

  function answerLater(ask: Extract<Meta, { kind: "history-request" }>): void {
    const { session: mine, members: present, delivered: lines } = latest.current;
    if (ask.from === mine || Date.now() - ask.at > HISTORY_REQUEST_FRESH_MS || lines.length === 0) return;
    // Members answer in session order, each a little later than the one before, and
    // only if nobody answered yet.
    const order = [...new Set(present.map((m) => m.session))].filter((s) => s !== ask.from).sort();
    const rank = mine === null || !order.includes(mine) ? order.length : order.indexOf(mine);
    setTimeout(() => {
      if (answered.current.has(ask.request)) return;
      const now = latest.current.delivered;
      const epoch = now.at(-1)?.epoch;
      const lines = now.filter((d) => d.epoch === epoch).slice(-HISTORY_LINES);
      const answer: Meta = { kind: "history", request: ask.request, lines };
      void client.publish(metaName, answer, { timeout: 5000 }).catch(() => {});
    }, rank * 400);
  }

  // Ask once per room, when both channels are live.
  useEffect(() => {
    if (historyAsked || !connected || session === null) return;
    if (feed.status !== "subscribed" || meta.status !== "subscribed") return;
    setHistoryAsked(true);
    const id = newId();
    request.current = id;
    const ask: Meta = { kind: "history-request", request: id, from: session, at: Date.now() };
    void client.publish(metaName, ask, { timeout: 5000 }).catch(() => {});
  }, [historyAsked, connected, session, feed.status, meta.status, client, metaName]);

  // Read receipts: the newest line of someone else, once this room is on screen.
  const visible = usePageVisible();
  const lastOther = [...delivered].reverse().find((d) => d.data.user !== me);
  const receiptSent = useRef<string | null>(null);
  useEffect(() => {
    if (!active || !visible || !connected || !navigator.onLine || lastOther === undefined) return;
    const key = `${lastOther.epoch}:${lastOther.offset}`;
    if (receiptSent.current === key) return;
    receiptSent.current = key;
    const read: Meta = { kind: "read", user: me, epoch: lastOther.epoch, offset: lastOther.offset };
    void client.publish(metaName, read, { timeout: 5000 }).catch(() => {
      receiptSent.current = null;
    });
  }, [active, visible, connected, lastOther?.epoch, lastOther?.offset, client, me, metaName]);

  // Typing: expire the indicator without new events.
  const now = useNow(Object.values(typingAt).some((at) => Date.now() - at < TYPING_SHOWN_MS) ? 1000 : null);
  const typing = Object.entries(typingAt)
    .filter(([, at]) => now - at < TYPING_SHOWN_MS)
    .map(([user]) => user)
    .sort();

  const lastTypingSent = useRef(0);
  const notifyTyping = useCallback(() => {
    const at = Date.now();
    // Not while offline: a typing notice is worth nothing once it waited in the queue.
    if (!connected || !navigator.onLine || at - lastTypingSent.current < TYPING_SENT_EVERY_MS) return;
    lastTypingSent.current = at;
    const typingNow: Meta = { kind: "typing", user: me, at };
    void client.publish(metaName, typingNow, { timeout: 3000 }).catch(() => {});
  }, [connected, client, me, metaName]);

  const publishLine = useCallback(
    (line: ChatLine) => {
      const update = (patch: Partial<Pending>): void =>
        setPending((list) => list.map((p) => (p.line.id === line.id ? { ...p, ...patch } : p)));
      feed.publish(line).then(
        () => update({ status: "sent" }),
        (e: unknown) => update({ status: "failed", error: e instanceof Error ? e.message : String(e) }),
      );
    },
    [feed.publish],
  );

  const send = useCallback(
    (text: string) => {
      const line: ChatLine = { id: newId(), user: me, text, sentAt: Date.now() };
      lastTypingSent.current = 0;
      setPending((list) => [...list, { line, status: "pending" }]);
      publishLine(line);
    },
    [me, publishLine],
  );

  const retry = useCallback(
    (id: string) => {
      const again = pending.find((p) => p.line.id === id);
      if (again === undefined) return;
      setPending((list) => list.map((p) => (p.line.id === id ? { line: p.line, status: "pending" } : p)));
      publishLine(again.line);
    },
    [pending, publishLine],
  );

  // Forget pending copies once the channel delivered them.
  const deliveredIds = useMemo(() => new Set(delivered.map((d) => d.data.id)), [delivered]);
  useEffect(() => {
    if (pending.some((p) => deliveredIds.has(p.line.id))) {
      setPending((list) => list.filter((p) => !deliveredIds.has(p.line.id)));
    }
  }, [pending, deliveredIds]);

  const newestMine = [...delivered].reverse().find((d) => d.data.user === me);
  const lines: ShownLine[] = [
    ...delivered.map((d): ShownLine => {
      const mine = d.data.user === me;
      const key = `${d.epoch}:${d.offset}`;
      const seenBy = mine
        ? Object.entries(receipts)
            .filter(([, seen]) => (seen[d.epoch] ?? 0) >= d.offset)
            .map(([user]) => user)
            .sort()
        : [];
      return {
        key,
        line: d.data,
        mine,
        status: mine ? (seenBy.length > 0 ? "read" : "sent") : "received",
        seenBy,
        newestMine: d === newestMine,
        afterReset: resetMarks.has(key),
      };
    }),
    ...pending
      .filter((p) => !deliveredIds.has(p.line.id))
      .map(
        (p): ShownLine => ({
          key: `pending:${p.line.id}`,
          line: p.line,
          mine: true,
          status: p.status,
          seenBy: [],
          newestMine: false,
          afterReset: false,
          ...(p.error === undefined ? {} : { error: p.error }),
        }),
      ),
  ];

  return {
    lines,
    typing,
    lastReset: feed.lastReset,
    resets: feed.resets,
    loading: feed.status !== "subscribed",
    send,
    retry,
    notifyTyping,
  };
}

function toDelivered(m: MessageContext<ChatLine>): Delivered {
  return { epoch: m.epoch, offset: m.offset, data: m.data };
}

function usePageVisible(): boolean {
  const [visible, setVisible] = useState(() => document.visibilityState === "visible");
  useEffect(() => {
    const update = (): void => setVisible(document.visibilityState === "visible");
    document.addEventListener("visibilitychange", update);
    return () => document.removeEventListener("visibilitychange", update);
  }, []);
  return visible;
}

/** `Date.now()`, refreshed every `everyMs` while that is not null. */
export function useNow(everyMs: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (everyMs === null) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
