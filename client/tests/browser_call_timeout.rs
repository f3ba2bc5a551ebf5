//! In a real browser: a call whose deadline passes while it waits in the offline queue
//! is never delivered to the server; one with a longer deadline is.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use std::time::Duration;

use browser_support::{connected, control, fast_config, until, within};
use futures_util::future::join;
use resocket::{CallError, State};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_call_that_timed_out_in_the_queue_never_reaches_the_server() {
    let client = connected(fast_config()).await;
    let marker = format!("expired-{}", js_sys::Math::random());
    let kept = format!("kept-{}", js_sys::Math::random());

    control("/restart?down_ms=800&keep_history=1").await;
    until(3000, "client notices", || {
        client.state() == State::Connecting
    })
    .await;
    let expired = client.call::<_, ()>("record", &marker, Duration::from_millis(150));
    let delivered = client.call::<_, ()>("record", &kept, Duration::from_secs(10));
    let (expired, delivered) = within(8000, "both calls end", join(expired, delivered)).await;
    assert_eq!(expired, Err(CallError::Timeout));
    delivered.expect("the call with a long deadline goes out after the reconnect");

    let recorded: Vec<String> = client
        .call("recorded", &(), Duration::from_secs(5))
        .await
        .expect("recorded");
    assert!(recorded.contains(&kept), "{recorded:?}");
    assert!(
        !recorded.contains(&marker),
        "the expired call was delivered: {recorded:?}"
    );
}
