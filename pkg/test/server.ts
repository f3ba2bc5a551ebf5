/** Addresses of the test server started by scripts/test-browser.sh. */
function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`${name} is not set: run the tests through scripts/test-browser.sh`);
  }
  return value;
}

export const WS_URL = required("RESOCKET_TEST_WS");
export const CONTROL_URL = required("RESOCKET_TEST_CONTROL");

/** Drops every connection like a crash and listens again after `downMs`. */
export async function restartServer(downMs: number, keepHistory: boolean): Promise<void> {
  const res = await fetch(`${CONTROL_URL}/restart?down_ms=${downMs}&keep_history=${keepHistory ? 1 : 0}`);
  if (!res.ok) throw new Error(`restart failed: ${res.status}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A unique channel name per test run. */
export function channel(prefix: string): string {
  return `${prefix}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
