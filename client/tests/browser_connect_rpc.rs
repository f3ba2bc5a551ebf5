//! In a real browser: the client connects to the real server and runs acked RPC.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use std::time::Duration;

use browser_support::{connected, fast_config, within};
use resocket::{CallError, State};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn connects_and_reports_a_session() {
    let client = connected(fast_config()).await;
    let status = client.status();
    assert_eq!(status.state, State::Connected);
    assert!(status.session.is_some_and(|s| !s.is_empty()));
    client.close().await;
    assert_eq!(client.state(), State::Closed);
}

#[wasm_bindgen_test]
async fn calls_echo_fail_and_times_out() {
    let client = connected(fast_config()).await;
    let reply: Vec<String> = within(
        5000,
        "echo",
        client.call(
            "echo",
            &vec!["a".to_string(), "b".into()],
            Duration::from_secs(5),
        ),
    )
    .await
    .expect("echo");
    assert_eq!(reply, ["a", "b"]);

    let failed = client
        .call::<_, ()>("fail", &(), Duration::from_secs(5))
        .await;
    assert!(
        matches!(failed, Err(CallError::Server(ref e)) if e.code == 1000),
        "{failed:?}"
    );

    let slow = client
        .call::<_, String>("slow", &2000u64, Duration::from_millis(100))
        .await;
    assert_eq!(slow, Err(CallError::Timeout));
}
