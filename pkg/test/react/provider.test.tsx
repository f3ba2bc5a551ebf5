import { render, renderHook, screen } from "@testing-library/react";
import { StrictMode, type ReactNode } from "react";
import { Client } from "resocket";
import { ResocketProvider, useClient, useConnectionState } from "resocket/react";
import { describe, expect, it } from "vitest";

import { WS_URL, metric, sleep, untilMetric } from "./server.js";

function Status(): ReactNode {
  const { state } = useConnectionState();
  return <p>state: {state}</p>;
}

/** Counts the WebSockets the page creates (the module looks the class up on each connect). */
function countSockets(): { count: number; restore: () => void } {
  const Real = globalThis.WebSocket;
  const counter = { count: 0, restore: () => void (globalThis.WebSocket = Real) };
  globalThis.WebSocket = class extends Real {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      counter.count += 1;
    }
  };
  return counter;
}

describe("ResocketProvider", () => {
  it("opens one socket under StrictMode's double effects and closes it on unmount", async () => {
    const open = await metric("resocket_connections");
    const total = await metric("resocket_connections_total");
    const sockets = countSockets();
    const clients = new Set<Client>();
    function Probe(): ReactNode {
      clients.add(useClient());
      return <Status />;
    }
    try {
      const view = render(
        <StrictMode>
          <ResocketProvider url={WS_URL}>
            <Probe />
          </ResocketProvider>
        </StrictMode>,
      );
      await screen.findByText("state: connected", {}, { timeout: 8000 });
      // Time for a second socket to show up, if one were opened.
      await sleep(300);
      expect(sockets.count).toBe(1);
      expect(clients.size).toBe(1);
      expect(await metric("resocket_connections_total")).toBe(total + 1);
      expect(await metric("resocket_connections")).toBe(open + 1);

      view.unmount();
      await untilMetric("resocket_connections", open);
      expect(sockets.count).toBe(1);
    } finally {
      sockets.restore();
    }
  });

  it("keeps its client when re-rendered with equal options, and makes a new one for a new URL", async () => {
    const total = await metric("resocket_connections_total");
    const seen: Client[] = [];
    function Probe(): ReactNode {
      seen.push(useClient());
      return <Status />;
    }
    const view = render(
      <ResocketProvider url={WS_URL} options={{ backoff: { initial: 100 } }}>
        <Probe />
      </ResocketProvider>,
    );
    await screen.findByText("state: connected", {}, { timeout: 8000 });
    view.rerender(
      <ResocketProvider url={WS_URL} options={{ backoff: { initial: 100 } }}>
        <Probe />
      </ResocketProvider>,
    );
    expect(new Set(seen).size).toBe(1);
    expect(seen[0]).toBeInstanceOf(Client);
    expect(await metric("resocket_connections_total")).toBe(total + 1);

    // Same server, another URL string: a new client replaces the first one.
    view.rerender(
      <ResocketProvider url={`${WS_URL}?second`} options={{ backoff: { initial: 100 } }}>
        <Probe />
      </ResocketProvider>,
    );
    await untilMetric("resocket_connections_total", total + 2);
    await screen.findByText("state: connected", {}, { timeout: 8000 });
    expect(new Set(seen).size).toBe(2);
    view.unmount();
  });

  it("tells a hook used outside a provider what is missing", () => {
    expect(() => renderHook(() => useClient())).toThrow(/inside a <ResocketProvider>/);
  });
});
