// Playwright: loads the Vite-built page (served by the test server next to /ws) in
// Chromium and checks what the page wrote into the DOM.
//   node test/e2e/run.mjs ws://127.0.0.1:PORT/ws
import { chromium } from "playwright-core";

const ws = process.argv[2];
if (!ws) throw new Error("usage: run.mjs WS_URL");
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
  console.log("e2e: 1 passed, 0 failed");
} catch (e) {
  failed = true;
  console.error("e2e failed:", e);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
