import { decode } from "./msgpack.js";
import type { RawAction, RawChannelAction, RawCore } from "./wasm/resocket_wasm.js";

type Status = Extract<RawAction, { type: "status" }>;

/**
 * The events a driver hands on: the core's actions other than socket commands and the
 * status, with payloads JSON could not carry decoded (`data`), or a payload error.
 */
export type CoreEvent =
  | Exclude<RawAction, { type: "open" | "close" | "send" | "status" | "message" | "reply" }>
  | Exclude<RawChannelAction, { type: "message" }>
  | (Extract<RawChannelAction, { type: "message" }> & { data: unknown })
  | (Extract<RawAction, { type: "reply" }> & { data?: unknown });

const now = (): number => performance.now();

/** Largest delay `setTimeout` honours (longer ones fire at once). */
const MAX_DELAY = 0x7fffffff;

const encoder = new TextEncoder();

/**
 * The package's IO: runs a `RawCore` (the Rust client's sans-IO state machine) in the
 * page. It owns the `WebSocket`, the one timer and the page's `online`, `offline`,
 * `pageshow` and `visibilitychange` listeners; it feeds what happens to the core with
 * the time from `performance.now()` and carries out the actions the core hands back,
 * in order. Backoff, heartbeats, the offline queue, acknowledgements and resync are
 * all the core's; nothing here decides anything.
 */
export class Driver {
  private ws: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt: number | undefined;
  private draining = false;
  private drainAgain = false;
  /** The core's status as of the last drain. */
  status: Status = { type: "status", state: "idle", queuedItems: 0, queuedBytes: 0, session: null };
  private readonly stopPageEvents: () => void;

  constructor(
    readonly core: RawCore,
    private readonly url: string,
    private readonly onEvent: (event: CoreEvent) => void,
  ) {
    // Network or tab back: reconnect now instead of waiting out the backoff, or probe a
    // connection that may have died while the tab slept.
    this.stopPageEvents = onPageWake(() => this.input((core, t) => core.reconnectNow(t)));
  }

  /** Feeds one input to the core, then carries out what it asks for. */
  input<T>(feed: (core: RawCore, now: number) => T): T {
    try {
      return feed(this.core, now());
    } finally {
      this.drain();
    }
  }

  /**
   * Carries out everything the core asks for. Events go to `onEvent`, whose listeners
   * may feed the core again: such a nested call only marks the core for another round
   * of this loop, so actions are always carried out in the core's order.
   */
  drain(): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.drainAgain = false;
        const [json, ...binaries] = this.core.drain();
        const actions = JSON.parse(json) as RawAction[];
        // The status comes last and says where the core stands after all of it: take it
        // first, so that listeners of the events see the state the events lead to.
        const status = actions.pop() as Status;
        this.status = status;
        for (const action of actions) {
          switch (action.type) {
            case "open":
              this.open(action.subprotocol);
              break;
            case "close":
              this.closeSocket(action.code, action.reason);
              break;
            case "send":
              // Sending fails only on a socket that is closing; its close event follows.
              try {
                this.ws?.send(binaries[action.bin - 1]!);
              } catch {
                /* reported by the close event */
              }
              break;
            case "status":
              break; // Taken above.
            case "message":
            case "reply":
              this.onEvent(withPayload(action, binaries));
              break;
            default:
              this.onEvent(action);
          }
        }
        this.arm();
      } while (this.drainAgain);
    } finally {
      this.draining = false;
    }
  }

  /** Stops the timer and the page listeners and drops the socket. The core is left as is. */
  stop(): void {
    clearTimeout(this.timer);
    this.timerAt = undefined;
    this.stopPageEvents();
    this.closeSocket(1000, "");
  }

  private open(subprotocol: string): void {
    this.closeSocket(1000, "");
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url, subprotocol);
    } catch (e) {
      this.core.closed(now(), undefined, e instanceof Error ? e.message : String(e));
      this.drainAgain = true;
      return;
    }
    ws.binaryType = "arraybuffer";
    ws.onopen = () => this.input((core, t) => core.opened(t));
    ws.onmessage = (e: MessageEvent) => {
      const data: unknown = e.data;
      const bytes = typeof data === "string" ? encoder.encode(data) : new Uint8Array(data as ArrayBuffer);
      this.input((core, t) => core.message(t, bytes));
    };
    ws.onclose = (e: CloseEvent) => {
      this.detach(ws);
      // 1005: no status in the close frame; 1006: no close frame at all.
      const code = e.code === 1005 || e.code === 1006 ? undefined : e.code;
      const reason = e.reason || (code === undefined ? "connection closed abnormally" : "");
      this.input((core, t) => core.closed(t, code, reason));
    };
    // `error` always precedes `close` and carries nothing; the close event reports it.
    ws.onerror = ignore;
    this.ws = ws;
  }

  /** Closes the current socket, which reports nothing more. */
  private closeSocket(code: number, reason: string): void {
    const ws = this.ws;
    if (ws === null) return;
    this.detach(ws);
    // A page may send 1000 or 3000–4999 (anything else throws), with at most 123 bytes
    // of reason.
    const allowed = code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
    while (encoder.encode(reason).length > 123) reason = reason.slice(0, -1);
    try {
      ws.close(allowed, reason);
    } catch {
      ws.close();
    }
  }

  private detach(ws: WebSocket): void {
    if (this.ws === ws) this.ws = null;
    ws.onopen = ws.onmessage = ws.onclose = null;
  }

  /** Sets the one timer to when the core next needs `tick`. */
  private arm(): void {
    const at = this.core.timeout();
    if (at === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    if (at < 0) return;
    // Rounded up: a timer that fires early would only re-arm a zero-length one. A timer
    // a background tab fires late is fine: the core checks the time it is given.
    const delay = Math.min(MAX_DELAY, Math.max(0, Math.ceil(at - now())));
    this.timer = setTimeout(() => {
      this.timerAt = undefined;
      this.input((core, t) => core.tick(t));
    }, delay);
  }
}

function ignore(): void {}

/** Decodes the MessagePack payload a `message` or `reply` action points at, if any. */
function withPayload(
  action: Extract<RawAction, { type: "message" | "reply" }>,
  binaries: Uint8Array[],
): CoreEvent {
  if (action.type === "reply" && action.bin === undefined) return action;
  try {
    return { ...action, data: decode(binaries[(action.bin ?? 0) - 1]!) };
  } catch (e) {
    const error = { code: (e as { code: number }).code, message: (e as Error).message };
    return action.type === "reply"
      ? { type: "reply", id: action.id, error }
      : { type: "error", channel: action.channel, offset: action.offset, error };
  }
}

/** Calls `wake` when the network or the page comes back; returns the remover. */
function onPageWake(wake: () => void): () => void {
  if (typeof window === "undefined" || typeof document === "undefined") return ignore;
  const visible = (): void => {
    if (document.visibilityState === "visible") wake();
  };
  const names = ["online", "offline", "pageshow"] as const;
  for (const name of names) window.addEventListener(name, wake);
  document.addEventListener("visibilitychange", visible);
  return () => {
    for (const name of names) window.removeEventListener(name, wake);
    document.removeEventListener("visibilitychange", visible);
  };
}
