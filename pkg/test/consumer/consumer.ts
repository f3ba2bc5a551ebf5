// Type-checks the shipped declarations (dist/*.d.ts) the way an application sees them:
// `tsc --noEmit -p test/consumer` (package.json's `typecheck`). Never run.
import {
  Client,
  ClientClosedError,
  ClientState,
  ClosedCode,
  DisconnectCode,
  ErrorCode,
  ResocketError,
  ServerError,
  ServerErrorCode,
  TimeoutError,
  init,
  type ClientStatus,
  type DisconnectedContext,
  type MessageContext,
  type PublishResult,
  type ReconnectingContext,
} from "resocket";
import { REACT_BINDINGS_AVAILABLE } from "resocket/react";

interface ChatLine {
  user: string;
  text: string;
}

export async function app(): Promise<void> {
  await init();
  const client = new Client("ws://127.0.0.1:8080/ws", {
    token: "alice",
    backoff: { initial: 200, max: 5000 },
    callTimeout: 10_000,
    callsOnDisconnect: "keep_queued",
  });
  client.on("connected", ({ session }) => console.log(session.toUpperCase()));
  client.on("reconnecting", (ctx: ReconnectingContext) => console.log(ctx.delay + ctx.attempt));
  client.on("disconnected", (ctx: DisconnectedContext) => {
    if (ctx.code === DisconnectCode.HeartbeatTimeout && ctx.closeCode === null) console.log(ctx.reason);
  });
  client.on("closed", ({ code }) => code === ClosedCode.ServerRefused);
  client.on("error", ({ error }) => error.code satisfies number);
  const offStatus = client.on("status", (s: ClientStatus) => s.queuedItems + (s.nextRetry ?? 0));
  offStatus();

  const room = client.subscribe<ChatLine>("room:lobby");
  room.on("message", (m: MessageContext<ChatLine>) => console.log(m.data.user, m.data.text, m.offset, m.epoch));
  room.on("reset", (r) => {
    if (r.reason === "gap") console.log(r.expected, r.received);
    if (r.reason === "position_lost") console.log(r.epoch, r.offset);
  });
  room.on("presence", ({ members, member, kind }) => console.log(members.length, member?.session, kind));
  room.on("subscribed", ({ outcome, replayed }) => outcome === "recovered" && replayed > 0);
  room.on("error", ({ error, terminal }) => terminal && error instanceof ResocketError);

  client.connect();
  await client.connected();
  const ack: PublishResult = await client.publish("room:lobby", { user: "a", text: "hi" }, { timeout: 1000 });
  console.log(ack.offset, ack.duplicate);
  const sum = await client.call<number>("add", [1, 2], { timeout: 2000 });
  console.log(sum.toFixed(1));
  try {
    await client.call("echo", new Uint8Array([1, 2]));
  } catch (e) {
    if (e instanceof TimeoutError) console.log(e.code === ErrorCode.Timeout);
    if (e instanceof ServerError) console.log(e.code === ServerErrorCode.MethodNotFound);
    if (e instanceof ClientClosedError) console.log(e.message);
  }
  const state: ClientState = client.state;
  console.log(state === ClientState.Connected, client.status().session, room.presence(), REACT_BINDINGS_AVAILABLE);
  room.unsubscribe();
  await client.close();
  await client.dispose();
}

// @ts-expect-error: events are typed; there is no such event.
new Client("ws://x").on("connectd", () => {});
// @ts-expect-error: contexts are typed.
new Client("ws://x").on("connected", (ctx: ReconnectingContext) => ctx);
