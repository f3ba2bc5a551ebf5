//! In a real browser: the page's `online`, `visibilitychange` and `pageshow` events make
//! a client that waits out its backoff reconnect at once, and the client removes its
//! listeners when it goes away.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use std::time::Duration;

use browser_support::{connected, control, sleep, until, within};
use futures_util::StreamExt;
use resocket::{BackoffConfig, Client, Config, Event, State};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
const NAMES = ["online", "offline", "pageshow", "visibilitychange"];
export function count_page_listeners() {
  if (globalThis.__pageListeners) return;
  const counts = { added: 0, removed: 0 };
  globalThis.__pageListeners = counts;
  for (const target of [window, document]) {
    const add = target.addEventListener.bind(target);
    const remove = target.removeEventListener.bind(target);
    target.addEventListener = (type, f, o) => { if (NAMES.includes(type)) counts.added++; return add(type, f, o); };
    target.removeEventListener = (type, f, o) => { if (NAMES.includes(type)) counts.removed++; return remove(type, f, o); };
  }
}
export function page_listeners() { const c = globalThis.__pageListeners; return [c.added, c.removed]; }
export function fire(target, type) {
  const t = target === "document" ? document : window;
  t.dispatchEvent(new Event(type));
}
"#)]
extern "C" {
    fn count_page_listeners();
    fn page_listeners() -> Vec<u32>;
    fn fire(target: &str, event: &str);
}

/// A backoff long enough that only a wakeup explains a quick reconnect. Full jitter
/// draws the delay from [0, 60 s]; the fixed seed makes the draw a long one.
fn slow_backoff() -> Config {
    Config {
        backoff: BackoffConfig {
            initial: Duration::from_secs(60),
            max: Duration::from_secs(60),
            factor: 1.0,
        },
        seed: 42,
        ..Config::default()
    }
}

/// Restarts the server, waits until the client has scheduled a retry and the server is
/// back, fires `event` at `target`, and checks the client reconnects well before the
/// scheduled retry.
async fn wakes_up_on(target: &str, event: &str) {
    let client = connected(slow_backoff()).await;
    let mut events = client.connection_events();
    control("/restart?down_ms=100&keep_history=1").await;
    let delay = within(5000, "retry scheduled", async {
        loop {
            if let Some(Event::ReconnectScheduled { delay, .. }) = events.next().await {
                return delay;
            }
        }
    })
    .await;
    assert!(
        delay >= Duration::from_secs(5),
        "seed 42 drew a {delay:?} delay, too short to tell a wakeup from the backoff: pick another seed"
    );
    sleep(500).await; // the server is listening again
    assert_eq!(client.state(), State::Connecting);
    let fired = js_sys::Date::now();
    fire(target, event);
    until(3000, "reconnect after the page event", || {
        client.state() == State::Connected
    })
    .await;
    let took = js_sys::Date::now() - fired;
    assert!(
        took < 3000.0,
        "{event}: reconnected after {took} ms; retry was due in {delay:?}"
    );
}

#[wasm_bindgen_test]
async fn online_reconnects_at_once() {
    wakes_up_on("window", "online").await;
}

#[wasm_bindgen_test]
async fn visibilitychange_to_visible_reconnects_at_once() {
    wakes_up_on("document", "visibilitychange").await;
}

#[wasm_bindgen_test]
async fn pageshow_reconnects_at_once() {
    wakes_up_on("window", "pageshow").await;
}

#[wasm_bindgen_test]
async fn listeners_go_with_the_client() {
    count_page_listeners();
    // Clients of earlier tests may still be on their way out.
    sleep(300).await;
    let before = page_listeners();
    let client = Client::connect(browser_support::ws_url(), Config::default());
    assert_eq!(client.connected().await, State::Connected);
    let during = page_listeners();
    assert_eq!(
        during[0] - before[0],
        4,
        "online, offline, pageshow, visibilitychange"
    );
    let sub = client.subscribe("anything");
    drop(client);
    sleep(50).await;
    // A subscription keeps the driver (and the listeners) alive.
    assert_eq!(page_listeners()[1] - before[1], 0);
    drop(sub);
    until(2000, "listeners removed", || {
        page_listeners()[1] - before[1] == 4
    })
    .await;
    // Firing them now reaches nothing of ours (and throws nothing).
    fire("window", "online");
}
