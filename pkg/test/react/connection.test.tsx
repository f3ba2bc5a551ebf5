import { render, screen } from "@testing-library/react";
import { StrictMode, useEffect, type ReactNode } from "react";
import { ClientState } from "resocket";
import { ResocketProvider, useClient, useConnectionState, type ConnectionState } from "resocket/react";
import { describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";

// The package's own payload encoder writes the stand-in server's frames.
import { encode } from "../../src/msgpack.js";

import { WS_URL, restartServer, until } from "./server.js";

function dedupe<T>(values: T[]): T[] {
  return values.filter((v, i) => i === 0 || values[i - 1] !== v);
}

describe("useConnectionState", () => {
  it("goes connecting → connected, shows the retry schedule while the server is down, then connected again", async () => {
    const seen: ConnectionState[] = [];
    function Status(): ReactNode {
      const status = useConnectionState();
      useEffect(() => {
        seen.push(status);
      }, [status]);
      const retry = status.retryAt === null ? "" : ` (retry ${status.attempt})`;
      return <p>state: {status.state + retry}</p>;
    }
    render(
      <StrictMode>
        <ResocketProvider url={WS_URL} options={{ backoff: { initial: 200, max: 400 } }}>
          <Status />
        </ResocketProvider>
      </StrictMode>,
    );
    await screen.findByText("state: connected", {}, { timeout: 8000 });
    // The first render comes before the provider's effect connects.
    expect(dedupe(seen.map((s) => s.state))).toEqual(["idle", "connecting", "connected"]);
    const session = seen.at(-1)?.session;
    expect(session).toEqual(expect.any(String));

    const before = seen.length;
    await restartServer(1500, true);
    // While down: connecting, with a retry scheduled, and failed attempts adding up.
    await screen.findByText(/^state: connecting \(retry [1-9]\d*\)$/, {}, { timeout: 8000 });
    const waiting = seen.slice(before).filter((s) => s.retryAt !== null);
    expect(waiting.length).toBeGreaterThan(1);
    for (const s of waiting) {
      expect(s.state).toBe(ClientState.Connecting);
      expect(s.nextRetry).toBeGreaterThanOrEqual(0);
      expect(s.retryAt).toBeGreaterThan(Date.now() - 5000);
      expect(s.lastDisconnect?.reconnect).toBe(true);
    }

    await screen.findByText("state: connected", {}, { timeout: 10_000 });
    const back = seen.at(-1);
    expect(back?.session).not.toBe(session);
    expect(back?.attempt).toBe(0);
    expect(back?.retryAt).toBeNull();
    expect(back?.lastDisconnect).toBeNull();
  });

  it("reports queued publishes while offline", async () => {
    let status: ConnectionState | null = null;
    let publish: (() => void) | null = null;
    function Probe(): ReactNode {
      status = useConnectionState();
      return <p>queued: {status.queuedItems}</p>;
    }
    function Publisher(): ReactNode {
      const client = useClient();
      publish = () => void client.publish("queued:probe", "x").catch(() => {});
      return null;
    }
    render(
      <ResocketProvider url={WS_URL} options={{ backoff: { initial: 300, max: 600 } }}>
        <Probe />
        <Publisher />
      </ResocketProvider>,
    );
    await until(() => status?.state === ClientState.Connected);
    await restartServer(1500, true);
    await until(() => status?.state === ClientState.Connecting);
    publish!();
    publish!();
    await screen.findByText("queued: 2", {}, { timeout: 5000 });
    await screen.findByText("queued: 0", {}, { timeout: 10_000 });
    expect(status!.state).toBe(ClientState.Connected);
  });

  it("keeps the last error the server reported outside any request", async () => {
    // A stand-in server that accepts the session, then reports an error tied to no
    // request, as a real server does for a frame it cannot use. (Frames are MessagePack
    // maps shaped like their JSON in docs/PROTOCOL.md.)
    const fake = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: () => "resocket.v1.msgpack" });
    fake.on("connection", (socket) => {
      socket.once("message", () => {
        socket.send(encode({ connected: { session: "s-fake", ping_interval_ms: 25000, ping_timeout_ms: 10000 } }));
        socket.send(encode({ error: { code: 111, message: "malformed frame" } }));
      });
    });
    await new Promise((resolve) => fake.once("listening", resolve));
    const { port } = fake.address() as { port: number };
    function Status(): ReactNode {
      const { state, lastError } = useConnectionState();
      return <p>{`${state}: ${lastError === null ? "no error" : `${lastError.code} ${lastError.message}`}`}</p>;
    }
    try {
      render(
        <ResocketProvider url={`ws://127.0.0.1:${port}/ws`}>
          <Status />
        </ResocketProvider>,
      );
      await screen.findByText("connected: 111 malformed frame", {}, { timeout: 8000 });
    } finally {
      for (const socket of fake.clients) socket.terminate();
      await new Promise((resolve) => fake.close(resolve));
    }
  });

  it("shows requests queued while no event comes (a server that never answers the handshake)", async () => {
    // The socket opens, the handshake never completes: the client stays connecting and
    // reports nothing more, while publishes pile up in its queue.
    const silent = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: () => "resocket.v1.msgpack" });
    await new Promise((resolve) => silent.once("listening", resolve));
    const { port } = silent.address() as { port: number };
    let publish: () => void = () => {};
    function Probe(): ReactNode {
      const { state, queuedItems } = useConnectionState();
      const client = useClient();
      publish = () => void client.publish("queued:silent", "x").catch(() => {});
      return <p>{`${state}, queued: ${queuedItems}`}</p>;
    }
    try {
      render(
        <ResocketProvider url={`ws://127.0.0.1:${port}/ws`} options={{ connectTimeout: 60_000 }}>
          <Probe />
        </ResocketProvider>,
      );
      await screen.findByText("connecting, queued: 0");
      await until(() => silent.clients.size === 1);
      publish();
      publish();
      publish();
      await screen.findByText("connecting, queued: 3", {}, { timeout: 3000 });
    } finally {
      for (const socket of silent.clients) socket.terminate();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
