// The benchmark page. Query: lib=resocket|socketio, count, and for resocket ws=…/ws
// and control=… (the test server). It receives `count` small messages pushed by the
// server, counts them in a JS callback, and posts the result to /report on the page's
// own server (sio-server.mjs).
import { io } from "socket.io-client";
import { Client } from "resocket";

const q = new URLSearchParams(location.search);
const lib = q.get("lib") ?? "resocket";
const count = Number(q.get("count") ?? 200_000);

interface Result {
  lib: string;
  count: number;
  received: number;
  ms: number;
  rate: number;
  error?: string;
}

function report(result: Result): void {
  document.getElementById("out")!.textContent = JSON.stringify(result);
  void fetch("/report", { method: "POST", body: JSON.stringify(result) });
}

async function resocket(): Promise<Result> {
  const client = new Client(q.get("ws")!);
  const channel = `bench:${Date.now()}`;
  const sub = client.subscribe<{ n: number }>(channel);
  const subscribed = new Promise((resolve) => sub.once("subscribed", resolve));
  let received = 0;
  let sum = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  sub.on("message", ({ data }) => {
    sum += data.n;
    if (++received === count) done();
  });
  client.connect();
  await Promise.all([client.connected(), subscribed]);
  const t0 = performance.now();
  await fetch(`${q.get("control")}/flood?channel=${encodeURIComponent(channel)}&count=${count}`);
  await finished;
  const ms = performance.now() - t0;
  if (sum !== (count * (count - 1)) / 2) throw new Error(`payload sum ${sum} is wrong`);
  await client.dispose();
  return { lib: "resocket", count, received, ms, rate: (received / ms) * 1000 };
}

async function socketio(): Promise<Result> {
  const socket = io({ transports: ["websocket"] });
  await new Promise<void>((resolve) => socket.on("connect", () => resolve()));
  let received = 0;
  let sum = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  socket.on("m", (data: { n: number }) => {
    sum += data.n;
    if (++received === count) done();
  });
  const t0 = performance.now();
  socket.emit("flood", count);
  await finished;
  const ms = performance.now() - t0;
  if (sum !== (count * (count - 1)) / 2) throw new Error(`payload sum ${sum} is wrong`);
  socket.close();
  return { lib: "socket.io", count, received, ms, rate: (received / ms) * 1000 };
}

(lib === "socketio" ? socketio() : resocket()).then(report, (e: unknown) =>
  report({ lib, count, received: 0, ms: 0, rate: 0, error: String(e) }),
);
