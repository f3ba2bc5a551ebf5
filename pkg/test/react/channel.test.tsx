import { act, render, screen } from "@testing-library/react";
import { StrictMode, useState, type ReactNode } from "react";
import { Client, type MessageContext, type PresenceContext, type ResetContext } from "resocket";
import { ResocketProvider, useChannel, useConnectionState, type UseChannelResult } from "resocket/react";
import { afterEach, describe, expect, it } from "vitest";

import { WS_URL, channel, flood, metric, restartServer, sleep, until, untilMetric } from "./server.js";

const clients: Client[] = [];
/** A plain client outside React, to publish and to watch presence. */
async function observer(): Promise<Client> {
  const c = new Client(WS_URL);
  clients.push(c);
  c.connect();
  await c.connected();
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});

function Feed({ name, ch, label }: { name?: string; ch: string; label: string }): ReactNode {
  const { status, messages } = useChannel<{ n: number }>(ch);
  return (
    <p>
      {label} {name ?? ""}: {status} [{messages.map((m) => m.data.n).join(",")}]
    </p>
  );
}

describe("useChannel", () => {
  it("shares one server subscription between components, under StrictMode, and ends it after the last unmounts", async () => {
    const ch = channel("shared");
    let setShow: (s: { a: boolean; b: boolean }) => void = () => {};
    function Page(): ReactNode {
      const [show, set] = useState({ a: false, b: false });
      setShow = (s) => act(() => set(s));
      const { state } = useConnectionState();
      return (
        <>
          <p>{state}</p>
          {show.a && <Feed ch={ch} label="a" />}
          {show.b && <Feed ch={ch} label="b" />}
        </>
      );
    }
    render(
      <StrictMode>
        <ResocketProvider url={WS_URL}>
          <Page />
        </ResocketProvider>
      </StrictMode>,
    );
    await screen.findByText("connected", {}, { timeout: 8000 });
    const subs = await metric("resocket_subscriptions");
    const framesIn = await metric("resocket_messages_in_total");

    setShow({ a: true, b: true });
    await screen.findByText("a : subscribed []", {}, { timeout: 8000 });
    await screen.findByText("b : subscribed []");
    await sleep(200);
    // Two components, each effect run twice: the server got one `subscribe` frame and
    // holds one subscription.
    expect(await metric("resocket_messages_in_total")).toBe(framesIn + 1);
    expect(await metric("resocket_subscriptions")).toBe(subs + 1);

    const pub = await observer();
    await pub.publish(ch, { n: 1 });
    await screen.findByText("a : subscribed [1]");
    await screen.findByText("b : subscribed [1]");

    setShow({ a: false, b: true });
    await sleep(200);
    expect(await metric("resocket_subscriptions")).toBe(subs + 1);
    await pub.publish(ch, { n: 2 });
    await screen.findByText("b : subscribed [1,2]");

    setShow({ a: false, b: false });
    await untilMetric("resocket_subscriptions", subs);
  });

  it("keeps the channel's messages when its only component is remounted", async () => {
    const ch = channel("remount");
    let remount: () => void = () => {};
    function Page(): ReactNode {
      const [key, setKey] = useState(0);
      remount = () => act(() => setKey((k) => k + 1));
      return <Feed key={key} name={`#${key}`} ch={ch} label="feed" />;
    }
    render(
      <ResocketProvider url={WS_URL}>
        <Page />
      </ResocketProvider>,
    );
    await screen.findByText("feed #0: subscribed []", {}, { timeout: 8000 });
    const pub = await observer();
    await pub.publish(ch, { n: 1 });
    await pub.publish(ch, { n: 2 });
    await screen.findByText("feed #0: subscribed [1,2]");
    // A new component instance in the same commit: the subscription (and what it
    // delivered) carries over instead of starting again with a gap.
    remount();
    await screen.findByText("feed #1: subscribed [1,2]");
    await pub.publish(ch, { n: 3 });
    await screen.findByText("feed #1: subscribed [1,2,3]");
  });

  it("delivers messages in order, calls onMessage once for each, and publishes through the hook", async () => {
    const ch = channel("deliver");
    const heard: number[] = [];
    let hook: UseChannelResult<{ n: number }> | null = null;
    function Listener(): ReactNode {
      hook = useChannel<{ n: number }>(ch, (m) => heard.push(m.data.n));
      return <p>{hook.messages.length} messages</p>;
    }
    render(
      <StrictMode>
        <ResocketProvider url={WS_URL}>
          <Listener />
        </ResocketProvider>
      </StrictMode>,
    );
    await until(() => hook?.status === "subscribed");
    const acks = [];
    for (let n = 0; n < 20; n++) acks.push(await hook!.publish({ n }));
    expect(acks.map((a) => a.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await screen.findByText("20 messages", {}, { timeout: 5000 });
    await sleep(100);
    expect(heard).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(hook!.messages.map((m: MessageContext<{ n: number }>) => m.offset)).toEqual(acks.map((a) => a.offset));
  });

  it("unsubscribes when the component unmounts: the others see it leave while its client stays", async () => {
    const ch = channel("leave");
    const watcher = await observer();
    const room = watcher.subscribe(ch);
    const events: PresenceContext[] = [];
    room.on("presence", (p) => events.push(p));
    await until(() => events.length > 0);
    let hide: () => void = () => {};
    function Page(): ReactNode {
      const [shown, setShown] = useState(true);
      hide = () => act(() => setShown(false));
      const { state } = useConnectionState();
      return (
        <>
          <p>{state}</p>
          {shown && <Feed ch={ch} label="feed" />}
        </>
      );
    }
    render(
      <StrictMode>
        <ResocketProvider url={WS_URL}>
          <Page />
        </ResocketProvider>
      </StrictMode>,
    );
    await until(() => room.presence().length === 2);
    const joined = events.filter((e) => e.kind === "join");
    expect(joined).toHaveLength(1);
    const connections = await metric("resocket_connections");

    hide();
    await until(() => room.presence().length === 1);
    expect(events.filter((e) => e.kind === "leave").map((e) => e.member?.session)).toEqual([joined[0]?.member?.session]);
    expect(screen.getByText("connected")).toBeTruthy();
    expect(await metric("resocket_connections")).toBe(connections);
  });

  it("across a server restart: messages published while disconnected arrive once, in order", async () => {
    const ch = channel("recover");
    let hook: UseChannelResult<{ n: number }> | null = null;
    function Listener(): ReactNode {
      hook = useChannel<{ n: number }>(ch);
      return <p>{`${hook.subscribed?.outcome ?? "none"}: [${hook.messages.map((m) => m.data.n).join(",")}]`}</p>;
    }
    render(
      <ResocketProvider url={WS_URL} options={{ backoff: { initial: 200, max: 400 } }}>
        <Listener />
      </ResocketProvider>,
    );
    await screen.findByText("fresh: []", {}, { timeout: 8000 });
    await flood(ch, 3);
    await screen.findByText("fresh: [0,1,2]");
    // Down for a while; meanwhile 5 more messages go into the server's store (the
    // flood hook writes to the engine directly), so the client can only get them by
    // resuming from its position.
    await restartServer(1200, true);
    await flood(ch, 5);
    await screen.findByText("recovered: [0,1,2,0,1,2,3,4]", {}, { timeout: 10_000 });
    expect(hook!.messages.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(hook!.resets).toBe(0);
  });

  it("reports a reset when the server lost the channel's history", async () => {
    const ch = channel("reset");
    const resets: ResetContext[] = [];
    let hook: UseChannelResult<{ n: number }> | null = null;
    function Listener(): ReactNode {
      hook = useChannel<{ n: number }>(ch, undefined, { onReset: (r) => resets.push(r) });
      const last = hook.lastReset === null ? "none" : hook.lastReset.reason;
      return <p>{`resets: ${hook.resets} (${last}), [${hook.messages.map((m) => m.data.n).join(",")}]`}</p>;
    }
    render(
      <ResocketProvider url={WS_URL} options={{ backoff: { initial: 200, max: 400 } }}>
        <Listener />
      </ResocketProvider>,
    );
    await until(() => hook?.status === "subscribed");
    await flood(ch, 2);
    await screen.findByText("resets: 0 (none), [0,1]");
    await restartServer(300, false);
    await screen.findByText("resets: 1 (position_lost), [0,1]", {}, { timeout: 10_000 });
    expect(resets).toHaveLength(1);
    expect(hook!.subscribed?.outcome).toBe("reset");
    // Delivery goes on in the new history.
    await flood(ch, 1);
    await screen.findByText("resets: 1 (position_lost), [0,1,0]");
  });
});
