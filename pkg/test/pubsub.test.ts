import { afterEach, describe, expect, it } from "vitest";
import { Client, type MessageContext, type PresenceContext, type Subscription } from "resocket";

import { WS_URL, channel, sleep } from "./server.js";

const clients: Client[] = [];
async function connected(): Promise<Client> {
  const c = new Client(WS_URL);
  clients.push(c);
  c.connect();
  await c.connected();
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});

function collect<T>(sub: Subscription<T>): MessageContext<T>[] {
  const got: MessageContext<T>[] = [];
  sub.on("message", (m) => got.push(m));
  return got;
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

describe("publish and subscribe", () => {
  it("delivers between two clients in order, whatever the payload's shape", async () => {
    const [a, b] = await Promise.all([connected(), connected()]);
    const ch = channel("pubsub");
    const sub = b.subscribe<unknown>(ch);
    const got = collect(sub);
    await new Promise<void>((resolve) => sub.once("subscribed", () => resolve()));
    // Plain JSON-able values take the batched fast path; bytes, bigints and dates do
    // not. Order must hold across both.
    const sent: unknown[] = [];
    for (let i = 0; i < 300; i++) {
      const special = i % 50 === 7;
      sent.push(special ? { i, bytes: new Uint8Array([i & 0xff]) } : { i, text: `m${i}` });
    }
    const acks = await Promise.all(sent.map((v) => a.publish(ch, v)));
    expect(acks.map((x) => x.offset)).toEqual(sent.map((_, i) => i + 1));
    await until(() => got.length === sent.length);
    expect(got.map((m) => m.offset)).toEqual(sent.map((_, i) => i + 1));
    expect(got.map((m) => (m.data as { i: number }).i)).toEqual(sent.map((_, i) => i));
    expect((got[7]?.data as { bytes: Uint8Array }).bytes).toBeInstanceOf(Uint8Array);
    expect(got[0]?.publisher).toBe(a.status().session);
    expect(got.every((m) => m.channel === ch && m.epoch === acks[0]?.epoch)).toBe(true);
  });

  it("reports presence joins and leaves", async () => {
    const [a, b] = await Promise.all([connected(), connected()]);
    const ch = channel("presence");
    const subA = a.subscribe(ch);
    const events: PresenceContext[] = [];
    subA.on("presence", (p) => events.push(p));
    await until(() => events.some((e) => e.kind === "snapshot"));
    const subB = b.subscribe(ch);
    await until(() => events.some((e) => e.kind === "join"));
    const sessions = subA.presence().map((m) => m.session).sort();
    expect(sessions).toEqual([a.status().session, b.status().session].sort());
    subB.unsubscribe();
    await until(() => events.some((e) => e.kind === "leave"));
    expect(subA.presence().map((m) => m.session)).toEqual([a.status().session]);
  });

  it("lets several subscriptions share a channel and stop independently", async () => {
    const [a, b] = await Promise.all([connected(), connected()]);
    const ch = channel("shared");
    const one = b.subscribe<number>(ch);
    const two = b.subscribe<number>(ch);
    const gotOne = collect(one);
    const gotTwo = collect(two);
    await Promise.all([one, two].map((s) => new Promise((r) => s.once("subscribed", r))));
    await a.publish(ch, 1);
    await until(() => gotOne.length === 1 && gotTwo.length === 1);
    one.unsubscribe();
    await a.publish(ch, 2);
    await until(() => gotTwo.length === 2);
    await sleep(50);
    expect(gotOne.map((m) => m.data)).toEqual([1]);
    expect(gotTwo.map((m) => m.data)).toEqual([1, 2]);
  });
});
