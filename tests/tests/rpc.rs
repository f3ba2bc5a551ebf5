//! Acked RPC against a real server: round trip, typed application error, timeout.

use std::time::Duration;

use resocket::{CallError, Client, State};
use resocket_e2e::{fast_client, start, test_server, ws_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_round_trip_typed_error_and_timeout() {
    let server = start(test_server()).await;
    let client = Client::connect(ws_url(server.local_addr()), fast_client(1));
    assert_eq!(client.connected().await, State::Connected);

    let reply: String = client
        .call("echo", "hello", Duration::from_secs(2))
        .await
        .expect("echo answers");
    assert_eq!(reply, "hello");

    let error = client
        .call::<_, ()>("fail", &(), Duration::from_secs(2))
        .await
        .expect_err("fail fails");
    match error {
        CallError::Server(e) => {
            assert_eq!(e.code, 1001);
            assert!(e.message.contains("always fails"), "{}", e.message);
        }
        other => panic!("expected a server error, got {other:?}"),
    }

    let unknown = client
        .call::<_, ()>("no-such-method", &(), Duration::from_secs(2))
        .await
        .expect_err("unknown method");
    assert!(
        matches!(&unknown, CallError::Server(e) if e.code == resocket::protocol::codes::error::METHOD_NOT_FOUND),
        "{unknown:?}"
    );

    let started = std::time::Instant::now();
    let slow = client
        .call::<_, u64>("sleep", &2_000u64, Duration::from_millis(200))
        .await;
    assert_eq!(slow, Err(CallError::Timeout));
    assert!(started.elapsed() < Duration::from_millis(1_500));

    // The connection is still good after a timed-out call.
    let reply: u64 = client
        .call("echo", &7u64, Duration::from_secs(2))
        .await
        .expect("echo after timeout");
    assert_eq!(reply, 7);

    client.close().await;
    server.shutdown().await;
}
