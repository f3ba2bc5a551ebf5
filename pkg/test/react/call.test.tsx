import { act, render, screen } from "@testing-library/react";
import type { ReactNode } from "react";
import { ServerError } from "resocket";
import { ResocketProvider, useCall, type UseCallResult } from "resocket/react";
import { describe, expect, it } from "vitest";

import { WS_URL } from "./server.js";

describe("useCall", () => {
  it("tracks pending, result and error of the latest call", async () => {
    let hook: UseCallResult<unknown> | null = null;
    function Caller(): ReactNode {
      hook = useCall();
      const { pending, error, result } = hook;
      return <p>{`pending=${pending} result=${JSON.stringify(result ?? null)} error=${error?.code ?? "none"}`}</p>;
    }
    render(
      <ResocketProvider url={WS_URL}>
        <Caller />
      </ResocketProvider>,
    );
    await screen.findByText("pending=false result=null error=none");

    // `slow` answers after the given milliseconds: pending is visible meanwhile.
    let slow: Promise<unknown> = Promise.resolve();
    act(() => {
      slow = hook!.call("slow", 300);
    });
    await screen.findByText("pending=true result=null error=none");
    await act(async () => {
      await expect(slow).resolves.toBe("done");
    });
    await screen.findByText('pending=false result="done" error=none');

    await act(async () => {
      await expect(hook!.call("echo", { hello: "react" })).resolves.toEqual({ hello: "react" });
    });
    await screen.findByText('pending=false result={"hello":"react"} error=none');

    let failure: unknown = null;
    await act(async () => {
      failure = await hook!.call("fail").catch((e: unknown) => e);
    });
    expect(failure).toBeInstanceOf(ServerError);
    await screen.findByText("pending=false result=null error=1000");

    // A new call clears the error.
    await act(async () => {
      await hook!.call("echo", 1);
    });
    await screen.findByText("pending=false result=1 error=none");
  });

  it("sets error and result from the latest call only, and stays pending while any call is in flight", async () => {
    let hook: UseCallResult<unknown> | null = null;
    function Caller(): ReactNode {
      hook = useCall();
      return <p>{`pending=${hook.pending} result=${JSON.stringify(hook.result ?? null)} error=${hook.error?.code ?? "none"}`}</p>;
    }
    render(
      <ResocketProvider url={WS_URL}>
        <Caller />
      </ResocketProvider>,
    );
    await screen.findByText("pending=false result=null error=none");
    let calls: Promise<unknown>[] = [];
    act(() => {
      // The slow call started first and answers last: it is not the latest any more.
      calls = [hook!.call("slow", 400), hook!.call("echo", "latest")];
    });
    await screen.findByText('pending=true result="latest" error=none');
    await act(async () => {
      await expect(calls[0]).resolves.toBe("done");
    });
    await screen.findByText('pending=false result="latest" error=none');
  });
});
