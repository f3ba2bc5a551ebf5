// Playwright: loads the Vite-built page (served by the test server next to /ws) in
// Chromium and checks what the page wrote into the DOM: the chat scenario, then the
// page-event scenario (wakeup.ts), which restarts the server through its control port.
//   node test/e2e/run.mjs ws://127.0.0.1:PORT/ws http://127.0.0.1:CONTROL_PORT
import { chromium } from "playwright-core";

const [ws, control] = process.argv.slice(2);
if (!ws || !control) throw new Error("usage: run.mjs WS_URL CONTROL_URL");
const origin = ws.replace(/^ws:/, "http:").replace(/\/ws$/, "");
const room = `e2e:${Date.now().toString(36)}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
let failed = false;
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(`${origin}/?room=${encodeURIComponent(room)}`);
  await page.locator("#state", { hasText: "connected" }).waitFor({ timeout: 15_000 });
  await page.locator("#rpc", { hasText: "browser:1,2,3" }).waitFor({ timeout: 10_000 });
  await page.locator("#messages li").nth(2).waitFor({ timeout: 10_000 });
  const messages = await page.locator("#messages li").allTextContents();
  const expected = ["1:one", "2:two", "3:three"];
  if (JSON.stringify(messages) !== JSON.stringify(expected)) {
    throw new Error(`messages in the DOM: ${JSON.stringify(messages)}, expected ${JSON.stringify(expected)}`);
  }
  if (errors.length > 0) throw new Error(`page errors: ${errors.join("; ")}`);
  console.log("e2e: chat page passed");
  // Its clients would log refused reconnects while the next scenario restarts the server.
  await page.close();

  const wake = await browser.newPage();
  wake.on("pageerror", (e) => errors.push(e.message));
  await wake.goto(`${origin}/?scenario=wakeup&control=${encodeURIComponent(control)}`);
  await wake.locator("#wakeup", { hasText: "}" }).waitFor({ timeout: 60_000 });
  const report = JSON.parse(await wake.locator("#wakeup").textContent());
  if (report.error) throw new Error(`wakeup page: ${report.error}`);
  // online, offline, pageshow, visibilitychange: added by a client, removed by dispose().
  if (report.listeners.added !== 4 || report.listeners.removed !== 4) {
    throw new Error(`page listeners: ${JSON.stringify(report.listeners)}, expected 4 added and 4 removed`);
  }
  for (const run of report.runs) {
    if (run.delay < 5000) throw new Error(`${run.event}: the seed drew a ${run.delay} ms retry, too short to tell`);
    if (!run.waiting) throw new Error(`${run.event}: the client was not waiting to retry`);
    if (run.took >= 3000) throw new Error(`${run.event}: reconnected after ${run.took} ms`);
  }
  if (errors.length > 0) throw new Error(`page errors: ${errors.join("; ")}`);
  console.log(`e2e: page events reconnect at once (${report.runs.map((r) => `${r.event} ${Math.round(r.took)} ms`).join(", ")})`);
  console.log("e2e: 2 passed, 0 failed");
} catch (e) {
  failed = true;
  console.error("e2e failed:", e);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
