// A page as an application would write it: two clients, an RPC and a chat channel,
// results written into the DOM for the Playwright test (run.mjs) to read. With
// `?scenario=wakeup&control=…` it runs the page-event checks of wakeup.ts instead.
import { Client } from "resocket";

import { wakeup } from "./wakeup.js";

const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;
const url = `ws://${location.host}/ws`;
const query = new URLSearchParams(location.search);

async function chat(room: string): Promise<void> {
  const reader = new Client(url);
  const writer = new Client(url);
  reader.on("status", (s) => ($("state").textContent = s.state));
  const sub = reader.subscribe<{ text: string }>(room);
  sub.on("message", ({ offset, data }) => {
    const li = document.createElement("li");
    li.textContent = `${offset}:${data.text}`;
    $("messages").append(li);
  });
  const subscribed = new Promise((resolve) => sub.once("subscribed", resolve));
  reader.connect();
  writer.connect();
  await Promise.all([reader.connected(), writer.connected(), subscribed]);

  const reply = await writer.call<{ hello: string; bytes: Uint8Array }>("echo", {
    hello: "browser",
    bytes: new Uint8Array([1, 2, 3]),
  });
  $("rpc").textContent = `${reply.hello}:${reply.bytes instanceof Uint8Array ? [...reply.bytes].join(",") : "?"}`;
  for (const text of ["one", "two", "three"]) await writer.publish(room, { text });
}

if (query.get("scenario") === "wakeup") {
  const report = await wakeup(url, query.get("control") ?? "").catch((e: unknown) => ({ error: String(e) }));
  $("wakeup").textContent = JSON.stringify(report);
} else {
  await chat(query.get("room") ?? "e2e:room");
}
