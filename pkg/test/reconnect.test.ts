import { afterEach, describe, expect, it } from "vitest";
import { Client, ClientState, type MessageContext, type ResetContext } from "resocket";

import { WS_URL, channel, restartServer, sleep } from "./server.js";

const clients: Client[] = [];
async function connected(): Promise<Client> {
  // A short backoff so that the tests do not wait out the default one.
  const c = new Client(WS_URL, { backoff: { initial: 100, max: 300 } });
  clients.push(c);
  c.connect();
  await c.connected();
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});

async function until(check: () => boolean, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

describe("across a server restart", () => {
  it("queues publishes while down and resyncs the channel with no gap and no duplicate", async () => {
    const [pub, sub] = await Promise.all([connected(), connected()]);
    const ch = channel("resync");
    const s = sub.subscribe<number>(ch);
    const got: MessageContext<number>[] = [];
    const resets: ResetContext[] = [];
    s.on("message", (m) => got.push(m));
    s.on("reset", (r) => resets.push(r));
    await new Promise((r) => s.once("subscribed", r));
    for (let i = 0; i < 20; i++) await pub.publish(ch, i);

    const reconnecting: number[] = [];
    pub.on("reconnecting", ({ delay }) => reconnecting.push(delay));
    await restartServer(600, true);
    await until(() => pub.state === ClientState.Connecting);
    // Made while the server is down: they wait in the offline queue.
    const queued = Array.from({ length: 20 }, (_, i) => pub.publish(ch, 20 + i));
    await until(() => pub.status().queuedItems === 20);
    expect(pub.state).toBe(ClientState.Connecting);
    const acks = await Promise.all(queued);
    expect(acks.map((a) => a.duplicate)).toEqual(acks.map(() => false));
    expect(reconnecting.length).toBeGreaterThan(0);
    expect(pub.status().queuedItems).toBe(0);

    await until(() => got.length >= 40);
    await sleep(100);
    expect(resets).toEqual([]);
    expect(got.map((m) => m.data)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(got.map((m) => m.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it("says reset when the server lost the channel's history", async () => {
    const [pub, sub] = await Promise.all([connected(), connected()]);
    const ch = channel("lost");
    const s = sub.subscribe<number>(ch);
    const resets: ResetContext[] = [];
    const outcomes: string[] = [];
    s.on("reset", (r) => resets.push(r));
    s.on("subscribed", ({ outcome }) => outcomes.push(outcome));
    await until(() => outcomes.length === 1);
    await pub.publish(ch, 1);
    await until(() => sub.status().state === ClientState.Connected);
    await restartServer(200, false);
    await until(() => outcomes.length === 2);
    expect(outcomes).toEqual(["fresh", "reset"]);
    expect(resets).toHaveLength(1);
    expect(resets[0]?.reason).toBe("position_lost");
  });

  it("never sends a call whose timeout passed while it was queued", async () => {
    const c = await connected();
    const marker = `expired-${Math.random()}`;
    const kept = `kept-${Math.random()}`;
    await restartServer(800, true);
    await until(() => c.state === ClientState.Connecting);
    const expired = c.call("record", marker, { timeout: 150 }).catch((e: unknown) => e);
    const delivered = c.call("record", kept, { timeout: 10_000 });
    expect(((await expired) as Error).name).toBe("TimeoutError");
    await delivered;
    const recorded = await c.call<string[]>("recorded", null);
    expect(recorded).toContain(kept);
    expect(recorded).not.toContain(marker);
  });
});
