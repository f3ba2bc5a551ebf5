//! Shared by the `browser_*` suites: they run in headless Chromium
//! (`wasm-bindgen-test`) against the test server that `scripts/test-browser.sh`
//! starts, whose addresses are compiled in from `RESOCKET_TEST_WS` and
//! `RESOCKET_TEST_CONTROL`.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::{pin_mut, Stream, StreamExt};
use resocket::{BackoffConfig, ChannelEvent, Client, Config, State};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

// `option_env!`, not `env!`: the suites must still compile (to tests that fail with this
// message) where the variables are not set, e.g. under `cargo clippy`.
const NOT_SET: &str = "RESOCKET_TEST_WS / RESOCKET_TEST_CONTROL were not set at compile time: \
                       run scripts/test-browser.sh";

/// The test server's WebSocket endpoint.
pub fn ws_url() -> &'static str {
    match option_env!("RESOCKET_TEST_WS") {
        Some(url) => url,
        None => panic!("{NOT_SET}"),
    }
}

/// Calls a control route of the test server (e.g. `/restart?down_ms=500&keep_history=1`).
pub async fn control(path_and_query: &str) -> String {
    let Some(base) = option_env!("RESOCKET_TEST_CONTROL") else {
        panic!("{NOT_SET}")
    };
    let window = web_sys::window().expect("a window");
    let response = JsFuture::from(window.fetch_with_str(&format!("{base}{path_and_query}")))
        .await
        .expect("control request");
    let response: web_sys::Response = response.unchecked_into();
    assert!(
        response.ok(),
        "control {path_and_query} answered {}",
        response.status()
    );
    let text = JsFuture::from(response.text().expect("body"))
        .await
        .expect("body");
    text.as_string().unwrap_or_default()
}

pub async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Runs `future`, failing the test if it takes longer than `ms`.
pub async fn within<T>(ms: u32, what: &str, future: impl Future<Output = T>) -> T {
    let timer = sleep(ms);
    pin_mut!(future, timer);
    match select(future, timer).await {
        Either::Left((value, _)) => value,
        Either::Right(_) => panic!("timed out after {ms} ms: {what}"),
    }
}

/// Polls `check` every 10 ms until it holds, failing after `ms`.
pub async fn until(ms: u32, what: &str, mut check: impl FnMut() -> bool) {
    within(ms, what, async {
        while !check() {
            sleep(10).await;
        }
    })
    .await
}

/// Reconnects within a few hundred milliseconds, so tests do not wait out the default
/// backoff.
pub fn fast_config() -> Config {
    Config {
        backoff: BackoffConfig {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(300),
            factor: 2.0,
        },
        ..Config::default()
    }
}

pub async fn connected(config: Config) -> Client {
    let client = Client::connect(ws_url(), config);
    let state = within(5000, "connect", client.connected()).await;
    assert_eq!(state, State::Connected);
    client
}

/// A channel name no other test uses.
pub fn unique(prefix: &str) -> String {
    let n = (js_sys::Math::random() * 1e12) as u64;
    format!("{prefix}:{n:x}")
}

/// The next event of a subscription that is not presence.
pub async fn next_non_presence(
    sub: &mut (impl Stream<Item = ChannelEvent> + Unpin),
) -> ChannelEvent {
    within(8000, "next channel event", async {
        loop {
            match sub.next().await.expect("subscription ended") {
                ChannelEvent::Presence(_) => continue,
                other => return other,
            }
        }
    })
    .await
}
