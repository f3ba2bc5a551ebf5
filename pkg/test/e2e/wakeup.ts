// The page's `online`, `visibilitychange` and `pageshow` events make a client that waits
// out a long backoff reconnect at once, and `dispose()` removes its listeners. Writes a
// JSON report into #wakeup for run.mjs.
import { Client, ClientState } from "resocket";

const NAMES = ["online", "offline", "pageshow", "visibilitychange"];

/** Counts the page listeners added and removed for the names above. */
function countListeners(): { added: number; removed: number } {
  const counts = { added: 0, removed: 0 };
  for (const target of [window, document] as EventTarget[]) {
    const add = target.addEventListener.bind(target);
    const remove = target.removeEventListener.bind(target);
    target.addEventListener = (type: string, f: EventListenerOrEventListenerObject | null, o?: unknown) => {
      if (NAMES.includes(type)) counts.added++;
      add(type, f, o as AddEventListenerOptions);
    };
    target.removeEventListener = (type: string, f: EventListenerOrEventListenerObject | null, o?: unknown) => {
      if (NAMES.includes(type)) counts.removed++;
      remove(type, f, o as EventListenerOptions);
    };
  }
  return counts;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)),
  ]);
}

/**
 * Restarts the server under a client whose retry is a minute away (full jitter over
 * [0, 60 s]; seed 42 draws a long one), fires `event` at `target` once the server is
 * back, and measures how long the reconnect takes.
 */
async function wakeUpOn(url: string, control: string, target: EventTarget, event: string) {
  const client = new Client(url, { backoff: { initial: 60_000, max: 60_000, factor: 1 }, seed: 42 });
  client.connect();
  await within(10_000, "connection", client.connected());
  const scheduled = new Promise<number>((resolve) => client.once("reconnecting", ({ delay }) => resolve(delay)));
  await fetch(`${control}/restart?down_ms=100&keep_history=1`);
  const delay = await within(5000, "scheduled retry", scheduled);
  await sleep(500); // the server listens again
  const waiting = client.state === ClientState.Connecting;
  const fired = performance.now();
  target.dispatchEvent(new Event(event));
  await within(3000, `reconnect after ${event}`, client.connected());
  const took = performance.now() - fired;
  await client.dispose();
  return { event, delay, waiting, took };
}

export async function wakeup(url: string, control: string): Promise<unknown> {
  const counts = countListeners();
  const before = { ...counts };
  const probe = new Client(url);
  probe.connect();
  await within(10_000, "connection", probe.connected());
  const added = counts.added - before.added;
  await probe.dispose();
  const removed = counts.removed - before.removed;
  const runs = [];
  for (const [target, event] of [
    [window, "online"],
    [document, "visibilitychange"],
    [window, "pageshow"],
  ] as const) {
    runs.push(await wakeUpOn(url, control, target, event));
  }
  return { listeners: { added, removed }, visibility: document.visibilityState, runs };
}
