// The test server started by global-setup.ts: its addresses, its restart hook and its
// Prometheus metrics, which show what the server itself sees (sockets, subscriptions).
import { inject } from "vitest";

export const WS_URL = inject("wsUrl");
const CONTROL_URL = inject("controlUrl");
const METRICS_URL = WS_URL.replace(/^ws:/, "http:").replace(/\/ws$/, "/metrics");

/** Drops every connection like a crash and listens again after `downMs`. */
export async function restartServer(downMs: number, keepHistory: boolean): Promise<void> {
  const res = await fetch(`${CONTROL_URL}/restart?down_ms=${downMs}&keep_history=${keepHistory ? 1 : 0}`);
  if (!res.ok) throw new Error(`restart failed: ${res.status}`);
}

/** Publishes `{ n: i }` for `i` in `0..count` straight into the server's engine (works while it is down). */
export async function flood(channel: string, count: number): Promise<void> {
  const res = await fetch(`${CONTROL_URL}/flood?channel=${encodeURIComponent(channel)}&count=${count}`);
  if (!res.ok) throw new Error(`flood failed: ${res.status}`);
}

/** The value of one unlabelled metric (0 when the server has not recorded it yet). */
export async function metric(name: string): Promise<number> {
  const text = await (await fetch(METRICS_URL)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

/** A unique channel name per test. */
export function channel(prefix: string): string {
  return `${prefix}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `check()` holds (real time, polling). */
export async function until(check: () => boolean | Promise<boolean>, ms = 8000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met in ${ms} ms`);
    await sleep(20);
  }
}

/** Waits until a metric reaches `value`. */
export async function untilMetric(name: string, value: number, ms = 8000): Promise<void> {
  let last = NaN;
  try {
    await until(async () => (last = await metric(name)) === value, ms);
  } catch {
    throw new Error(`${name} stayed ${last}, expected ${value}`);
  }
}
