import { afterEach, describe, expect, it } from "vitest";
import {
  Client,
  ClientClosedError,
  ClientState,
  ErrorCode,
  LimitError,
  PayloadError,
  ResocketError,
  ServerError,
  ServerErrorCode,
  TimeoutError,
  type ClientOptions,
  type ClientStatus,
} from "resocket";

import { WS_URL } from "./server.js";

const clients: Client[] = [];
function client(options = {}): Client {
  const c = new Client(WS_URL, options);
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});

describe("Client", () => {
  it("connects and reports connecting, connected and a stable status snapshot", async () => {
    const c = client();
    const seen: string[] = [];
    c.on("connecting", () => seen.push("connecting"));
    c.on("connected", ({ session }) => seen.push(`connected:${session.length > 0}`));
    const statuses: ClientStatus[] = [];
    c.on("status", (s) => statuses.push(s));
    expect(c.state).toBe(ClientState.Idle);
    c.connect();
    await c.connected();
    expect(seen).toEqual(["connecting", "connected:true"]);
    expect(c.state).toBe(ClientState.Connected);
    const a = c.status();
    expect(c.status()).toBe(a); // same object while nothing changed
    expect(a).toMatchObject({ state: "connected", attempt: 0, nextRetry: null, queuedItems: 0 });
    expect(statuses.at(-1)?.state).toBe("connected");
  });

  it("round-trips structured values through an RPC echo", async () => {
    const c = client();
    c.connect();
    const value = {
      text: 'quote " backslash \\ newline \n tab \t nul \u0000 emoji 🎉',
      int: 42,
      negative: -7,
      float: 1.5,
      big: 2n ** 60n,
      bytes: new Uint8Array([0, 1, 254, 255]),
      list: [1, "two", null, true, [false]],
      nested: { deep: { deeper: { value: "x" } } },
      date: new Date(1_700_000_000_123),
      map: new Map<unknown, unknown>([
        [1, "one"],
        ["two", 2],
      ]),
      __proto__key: "kept",
    };
    const reply = await c.call<typeof value>("echo", value, { timeout: 5000 });
    expect(reply.text).toBe(value.text);
    expect(reply.int).toBe(42);
    expect(reply.negative).toBe(-7);
    expect(reply.float).toBe(1.5);
    expect(reply.big).toBe(2n ** 60n);
    expect(reply.bytes).toBeInstanceOf(Uint8Array);
    expect([...reply.bytes]).toEqual([0, 1, 254, 255]);
    expect(reply.list).toEqual([1, "two", null, true, [false]]);
    expect(reply.nested).toEqual(value.nested);
    expect(reply.date).toBeInstanceOf(Date);
    expect(reply.date.getTime()).toBe(value.date.getTime());
    expect(reply.map).toBeInstanceOf(Map);
    expect(reply.map.get(1)).toBe("one");
    expect(reply.__proto__key).toBe("kept");
    expect(await c.call("echo", "plain")).toBe("plain");
    expect(await c.call("echo", null)).toBe(null);
  });

  it("turns failures into Error subclasses with stable codes", async () => {
    const c = client();
    c.connect();
    const failed = await c.call("fail", null).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ServerError);
    expect(failed).toBeInstanceOf(ResocketError);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as ServerError).code).toBe(1000);

    const missing = await c.call("no-such-method", null).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ServerError);
    expect((missing as ServerError).code).toBe(ServerErrorCode.MethodNotFound);

    const slow = await c.call("slow", 1000, { timeout: 100 }).catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(TimeoutError);
    expect((slow as TimeoutError).code).toBe(ErrorCode.Timeout);
    expect((slow as TimeoutError).message).toBe("call timed out");

    const unencodable = await c.call("echo", { f: () => 1 }).catch((e: unknown) => e);
    expect(unencodable).toBeInstanceOf(PayloadError);
    expect((unencodable as PayloadError).code).toBe(ErrorCode.BadPayload);
  });

  it("rejects requests before connect() and after close()", async () => {
    const c = client();
    await expect(c.publish("x", 1)).rejects.toBeInstanceOf(ClientClosedError);
    c.connect();
    await c.connected();
    const pending = c.call("slow", 2000, { timeout: 5000 });
    await c.close();
    const e = await pending.catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ClientClosedError);
    expect((e as ClientClosedError).code).toBe(ErrorCode.Closed);
    expect(c.state).toBe(ClientState.Closed);
    // connect() again after close() reconnects.
    c.connect();
    await c.connected();
    expect(await c.call("echo", 7)).toBe(7);
  });

  it("refuses what does not fit the queue or the payload limit, saying by how much", async () => {
    // Nothing listens on port 1: the client stays offline and queues.
    const c = new Client("ws://127.0.0.1:1/ws", { queue: { maxItems: 1 }, maxPayloadBytes: 8 });
    clients.push(c);
    c.connect();
    const queued = c.publish("limits", 1).catch((e: unknown) => e);
    const full = await c.publish("limits", 2).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(LimitError);
    expect((full as LimitError).code).toBe(ErrorCode.QueueFull);
    expect((full as LimitError).message).toBe("offline queue is full (1 items, 1 bytes)");
    const large = await c.call("echo", "0123456789").catch((e: unknown) => e);
    expect((large as LimitError).code).toBe(ErrorCode.PayloadTooLarge);
    expect((large as LimitError).message).toBe("payload of 11 bytes exceeds the limit of 8");
    await c.close();
    const closed = await queued;
    expect(closed).toBeInstanceOf(ClientClosedError);
    expect((closed as ClientClosedError).message).toBe("client is closed");
  });

  it("refuses an encoding other than MessagePack with a clear error", async () => {
    const c = client({ encoding: "json" } as unknown as ClientOptions);
    const error = new Promise<ResocketError>((resolve) => c.once("error", (e) => resolve(e.error)));
    c.connect();
    const e = await error;
    expect(e).toBeInstanceOf(ClientClosedError);
    expect(e.message).toMatch(/encoding.*MessagePack only/);
    await expect(c.call("echo", 1)).rejects.toBeInstanceOf(ClientClosedError);
  });
});
