import { act, render, screen } from "@testing-library/react";
import { StrictMode, useState, type ReactNode } from "react";
import { ResocketProvider, useChannel, usePresence } from "resocket/react";
import { describe, expect, it } from "vitest";

import { WS_URL, channel, metric, sleep } from "./server.js";

/** One user: a provider of its own (its own client and session) showing who is present. */
function User({ name, ch }: { name: string; ch: string }): ReactNode {
  return (
    <ResocketProvider url={WS_URL} options={{ token: name }}>
      <Members name={name} ch={ch} />
    </ResocketProvider>
  );
}

function Members({ name, ch }: { name: string; ch: string }): ReactNode {
  const members = usePresence(ch);
  const users = members.map((m) => m.user ?? "?").sort();
  return <p>{`${name} sees: ${users.join(", ")}`}</p>;
}

describe("usePresence", () => {
  it("lists the members of a channel and follows joins and leaves", async () => {
    const ch = channel("presence");
    let setUsers: (users: string[]) => void = () => {};
    function Page(): ReactNode {
      const [users, set] = useState(["alice", "bob"]);
      setUsers = (u) => act(() => set(u));
      return users.map((u) => <User key={u} name={u} ch={ch} />);
    }
    render(
      <StrictMode>
        <Page />
      </StrictMode>,
    );
    // The server's development auth takes the token as the user name.
    await screen.findByText("alice sees: alice, bob", {}, { timeout: 8000 });
    await screen.findByText("bob sees: alice, bob");

    setUsers(["alice", "bob", "carol"]);
    await screen.findByText("alice sees: alice, bob, carol", {}, { timeout: 8000 });
    await screen.findByText("carol sees: alice, bob, carol");

    setUsers(["alice", "carol"]);
    await screen.findByText("alice sees: alice, carol", {}, { timeout: 8000 });
    await screen.findByText("carol sees: alice, carol");
  });

  it("uses the same subscription as useChannel on the same channel", async () => {
    const ch = channel("presence-shared");
    function Both(): ReactNode {
      const members = usePresence(ch);
      const { status } = useChannel(ch);
      return <p>{`${status}, ${members.length} present`}</p>;
    }
    function Idle(): ReactNode {
      return <p>waiting</p>;
    }
    let show: () => void = () => {};
    function Page(): ReactNode {
      const [on, setOn] = useState(false);
      show = () => act(() => setOn(true));
      return on ? <Both /> : <Idle />;
    }
    render(
      <ResocketProvider url={WS_URL}>
        <Page />
      </ResocketProvider>,
    );
    await screen.findByText("waiting");
    await sleep(300);
    const subs = await metric("resocket_subscriptions");
    show();
    await screen.findByText("subscribed, 1 present", {}, { timeout: 8000 });
    expect(await metric("resocket_subscriptions")).toBe(subs + 1);
  });
});
