// The chat demo in a real browser: `node e2e/chat.e2e.mjs` from www/ after `npm run build`
// and `cargo build -p resocket-server` (scripts/test-web.sh does all three).
//
// Starts resocket-server on a free 127.0.0.1 port serving www/dist, opens the demo in
// two Chromium contexts (alice and bob) and checks, through what the page shows:
// history handed to a member who joins later, presence, typing, read receipts; alice
// going offline, typing lines that show as pending and queued, coming back, and both
// sides ending with the same lines exactly once in order; then a server restart that
// loses the history: reconnecting in N s, connected again, and the reset notice.
// Screenshots of each state go to artifacts/ at the repository root.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SERVER = process.env.RESOCKET_SERVER ?? join(ROOT, "target/debug/resocket-server");
const ARTIFACTS = join(ROOT, "artifacts");
const STEP_TIMEOUT = 15_000;

mkdirSync(ARTIFACTS, { recursive: true });

/** A port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** resocket-server on `port`, short heartbeats so that a cut connection is noticed in ~2 s. */
async function startServer(port) {
  const child = spawn(
    SERVER,
    ["--bind", `127.0.0.1:${port}`, "--static-dir", join(ROOT, "www/dist"), "--log", "warn",
      "--ping-interval-ms", "2000", "--ping-timeout-ms", "2000", "--shutdown-grace-ms", "200"],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`resocket-server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("resocket-server did not answer /healthz within 10 s");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopServer(child) {
  if (child === null || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** One user's page, with what it logged that was not expected. */
async function openUser(browser, origin, name, problems) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT);
  page.on("pageerror", (e) => problems.push(`${name}: ${e.message}`));
  page.on("console", (m) => {
    // Failed connection attempts while offline or while the server is down are expected.
    if (m.type() === "error" && !/WebSocket connection to .* failed/.test(m.text())) {
      problems.push(`${name}: ${m.text()}`);
    }
  });
  await page.goto(`${origin}/?name=${name}#general`);
  return { name, context, page, room: page.locator('section.room[data-room="general"]') };
}

const connection = (user) => user.page.getByTestId("connection");
const lines = (user) => user.room.getByTestId("line");
const lineTexts = (user) => user.room.getByTestId("line-text").allTextContents();
const presence = (user) => user.page.getByTestId("presence").locator("li").evaluateAll((els) => els.map((e) => e.dataset.user));

async function expectConnection(user, pattern) {
  await connection(user).filter({ hasText: pattern }).waitFor();
}

async function say(user, text) {
  await user.room.getByTestId("composer").fill(text);
  await user.room.getByTestId("composer").press("Enter");
}

async function untilEqual(read, expected, what) {
  const deadline = Date.now() + STEP_TIMEOUT;
  let last;
  for (;;) {
    last = await read();
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    if (Date.now() > deadline) assert.deepEqual(last, expected, what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function shoot(user, label) {
  await user.page.screenshot({ path: join(ARTIFACTS, `chat-${label}-${user.name}.png`) });
}

const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
/** @type {import("node:child_process").ChildProcess | null} */
let server = null;
/** @type {import("playwright-core").Browser | null} */
let browser = null;
// Whatever happens to this process, the server it started goes with it.
process.on("exit", () => server?.kill("SIGKILL"));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(1));

const problems = [];
let failed = false;
const step = (text) => console.log(`e2e: ${text}`);
try {
  server = await startServer(port);
  // Playwright gives each launch a fresh temporary profile.
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  step("alice joins and writes before bob is there");
  const alice = await openUser(browser, origin, "alice", problems);
  await expectConnection(alice, "Connected");
  await say(alice, "Hi, anyone here?");
  await say(alice, "I'm alice");
  await untilEqual(() => lineTexts(alice), ["Hi, anyone here?", "I'm alice"], "alice's own lines");
  await untilEqual(() => lines(alice).evaluateAll((els) => els.map((e) => e.dataset.status)), ["sent", "sent"], "acknowledged");

  step("bob joins: alice's lines are handed over, both are present");
  const bob = await openUser(browser, origin, "bob", problems);
  await expectConnection(bob, "Connected");
  await untilEqual(() => lineTexts(bob), ["Hi, anyone here?", "I'm alice"], "history on bob's side");
  await untilEqual(() => presence(alice), ["alice", "bob"], "presence on alice's side");
  await untilEqual(() => presence(bob), ["bob", "alice"], "presence on bob's side");
  await alice.page.getByText("2 people here").waitFor();

  step("typing and read receipts");
  await bob.room.getByTestId("composer").fill("Hello al");
  await alice.room.getByTestId("typing").filter({ hasText: "bob is typing…" }).waitFor();
  await bob.room.getByTestId("composer").fill("Hello alice!");
  await bob.room.getByTestId("composer").press("Enter");
  await untilEqual(() => lineTexts(alice), ["Hi, anyone here?", "I'm alice", "Hello alice!"], "bob's line at alice");
  await alice.room.getByTestId("typing").filter({ hasText: /^$/ }).waitFor();
  // bob has the room open, so alice's lines are marked read by bob.
  await lines(alice).nth(1).and(alice.page.locator('[data-status="read"]')).waitFor();
  assert.equal(await lines(alice).nth(1).getByTestId("ticks").getAttribute("title"), "Read by bob");
  await shoot(alice, "1-chatting");
  await shoot(bob, "1-chatting");

  step("alice goes offline and writes three lines: pending, queued");
  await alice.context.setOffline(true);
  await expectConnection(alice, /^Offline/);
  for (const text of ["offline 1", "offline 2", "offline 3"]) await say(alice, text);
  await untilEqual(
    () => lines(alice).evaluateAll((els) => els.slice(-3).map((e) => e.dataset.status)),
    ["pending", "pending", "pending"],
    "alice's offline lines are pending",
  );
  // Once the client noticed the cut (a probe ping goes unanswered), they wait in its queue.
  await expectConnection(alice, "Offline · 3 queued");
  await alice.page.getByText("Last seen in #general").waitFor();
  await say(bob, "Are you there?");
  await untilEqual(() => lineTexts(bob), ["Hi, anyone here?", "I'm alice", "Hello alice!", "Are you there?"], "bob's side while alice is away");
  await shoot(alice, "2-offline");

  step("alice is back: her lines go out once, in order, and she gets what she missed");
  await alice.context.setOffline(false);
  await expectConnection(alice, "Connected");
  const everything = ["Hi, anyone here?", "I'm alice", "Hello alice!", "Are you there?", "offline 1", "offline 2", "offline 3"];
  await untilEqual(() => lineTexts(bob), everything, "bob's lines after alice is back");
  await untilEqual(() => lineTexts(alice), everything, "alice's lines after she is back");
  await untilEqual(
    () => lines(alice).evaluateAll((els) => els.filter((e) => e.dataset.user === "alice").map((e) => e.dataset.status !== "pending")),
    [true, true, true, true, true],
    "none of alice's lines is pending",
  );
  // Still exactly once a little later (a late resend would show up as a second copy).
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(await lineTexts(bob), everything, "bob's lines, a second later");
  assert.deepEqual(await lineTexts(alice), everything, "alice's lines, a second later");
  await shoot(alice, "3-back-online");
  await shoot(bob, "3-back-online");

  step("the server restarts and loses the history: reconnecting, connected, reset notice");
  await stopServer(server);
  server = null;
  await expectConnection(alice, /^Reconnecting in \d+ s/);
  await expectConnection(bob, /^Reconnecting in \d+ s/);
  await say(bob, "Is the server down?");
  await bob.room.locator('[data-testid="line"][data-status="pending"]').waitFor();
  await expectConnection(bob, /^Reconnecting (in \d+ s|…) · 1 queued$/);
  await shoot(bob, "4-server-down");
  server = await startServer(port);
  await expectConnection(alice, "Connected");
  await expectConnection(bob, "Connected");
  await alice.room.getByTestId("reset-notice").waitFor();
  await bob.room.getByTestId("reset-notice").waitFor();
  // bob's queued line went out once the server was back.
  await bob.room.locator('[data-testid="line"][data-status="pending"]').waitFor({ state: "detached" });
  await say(alice, "The server is back");
  await untilEqual(async () => (await lineTexts(bob)).at(-1), "The server is back", "a line after the restart");
  // Where the gap is, in both views: before the first line delivered after the reset.
  await alice.room.getByTestId("reset-gap").waitFor();
  await bob.room.getByTestId("reset-gap").waitFor();
  assert.equal((await lineTexts(bob)).filter((t) => t === "Is the server down?").length, 1, "bob's queued line, once");
  await shoot(alice, "5-after-restart");
  await shoot(bob, "5-after-restart");

  assert.deepEqual(problems, [], "page errors");
  console.log("e2e: chat demo passed");
} catch (e) {
  failed = true;
  console.error("e2e: chat demo FAILED:", e);
  if (problems.length > 0) console.error("page problems:", problems);
} finally {
  await browser?.close();
  await stopServer(server);
  server = null;
}
process.exit(failed ? 1 : 0);
