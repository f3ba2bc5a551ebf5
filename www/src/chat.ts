// What the demo publishes. Each room `R` has two channels:
//   chat:R       the messages (`ChatLine`), kept in the server's history;
//   chat:R:meta  everything else (`Meta`): typing, read receipts, and history handed
//                over by the members already in the room to one that just joined.

export interface ChatLine {
  /** Chosen by the sender; ties the pending copy to the delivered one. */
  id: string;
  user: string;
  text: string;
  /** `Date.now()` when typed. */
  sentAt: number;
}

/** A delivered message, as `useChannel` gives them and as history hands them over. */
export interface Delivered {
  epoch: string;
  offset: number;
  data: ChatLine;
}

export type Meta =
  | { kind: "typing"; user: string; at: number }
  | { kind: "read"; user: string; epoch: string; offset: number }
  | { kind: "history-request"; request: string; from: string; at: number }
  | { kind: "history"; request: string; lines: Delivered[] };

export const DEFAULT_ROOMS = ["general", "random", "dev"];

export function messagesChannel(room: string): string {
  return `chat:${room}`;
}

export function metaChannel(room: string): string {
  return `chat:${room}:meta`;
}

/** A random id (`crypto.randomUUID` exists only on https and localhost pages). */
export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function cleanRoom(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 32);
}
