import { Emitter } from "./emitter.js";
import { fromRaw } from "./errors.js";
import type { PresenceMember, SubscriptionEvents } from "./types.js";
import type { CoreEvent } from "./driver.js";

/**
 * The events of one channel: messages exactly once and in order, `reset` when messages
 * were lost and cannot be replayed, presence changes. Created by `client.subscribe()`;
 * several subscriptions to one channel share one server subscription.
 */
export class Subscription<T = unknown> extends Emitter<SubscriptionEvents<T>> {
  private active = true;
  private readonly members = new Map<string, PresenceMember>();

  /** @internal */
  constructor(
    readonly channel: string,
    private readonly onEnd: (sub: Subscription<T>) => void,
  ) {
    super();
  }

  /** Whether events still arrive (false after `unsubscribe()` or a refusal). */
  get isActive(): boolean {
    return this.active;
  }

  /** Members present in the channel, as of the last presence event delivered here. */
  presence(): PresenceMember[] {
    return [...this.members.values()];
  }

  /** Stops this subscription; the server subscription ends with the client's last one. */
  unsubscribe(): void {
    if (!this.active) return;
    this.active = false;
    this.onEnd(this);
  }

  /** @internal Delivers one of the channel's events. */
  handle(ev: Extract<CoreEvent, { channel: string }>): void {
    if (!this.active) return;
    const channel = this.channel;
    switch (ev.type) {
      case "messages": {
        if (!this.listens("message")) break;
        const epoch = ev.epoch;
        for (const [offset, publisher, data] of ev.rows) {
          if (!this.active) return;
          this.emit("message", { channel, data: data as T, offset, epoch, publisher });
        }
        break;
      }
      case "message":
        this.emit("message", {
          channel,
          data: ev.data as T,
          offset: ev.offset,
          epoch: ev.epoch,
          publisher: ev.publisher,
        });
        break;
      case "subscribed":
        this.emit("subscribed", { channel, outcome: ev.outcome, replayed: ev.replayed });
        break;
      case "reset": {
        const { type: _, channel: __, ...reason } = ev;
        this.emit("reset", { channel, ...reason });
        break;
      }
      case "presence":
        if (ev.kind === "snapshot") {
          this.members.clear();
          for (const m of ev.members) this.members.set(m.session, m);
          this.emit("presence", { channel, kind: "snapshot", member: null, members: this.presence() });
        } else {
          if (ev.kind === "join") this.members.set(ev.member.session, ev.member);
          else this.members.delete(ev.member.session);
          this.emit("presence", { channel, kind: ev.kind, member: ev.member, members: this.presence() });
        }
        break;
      case "failed":
        this.active = false;
        this.onEnd(this);
        this.emit("error", { channel, error: fromRaw(ev.error), terminal: true });
        break;
      case "error":
        this.emit("error", { channel, error: fromRaw(ev.error), terminal: false });
        break;
    }
  }
}
