//! A half-open connection (the path stops forwarding but the sockets stay open) is
//! detected by the heartbeat on both sides, and the client reconnects once the path
//! heals.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use resocket::{Client, DisconnectReason, Event, State};
use resocket_e2e::{fast_client, start, test_server, ChaosProxy};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_is_detected_by_heartbeat_on_both_sides() {
    // Server: ping every 500 ms, close after 500 ms of silence after a ping.
    let server = start(test_server()).await;
    let proxy = ChaosProxy::start(server.local_addr()).await;
    let client = Client::connect(proxy.ws_url(), fast_client(3));
    let mut events = client.connection_events();
    assert_eq!(client.connected().await, State::Connected);
    assert_eq!(server.server().connection_count(), 1);

    let went_silent = Instant::now();
    proxy.set_blackhole(true);

    // Client side: nothing received for ping_interval + ping_timeout (1 s).
    let detected = loop {
        match tokio::time::timeout(Duration::from_secs(5), events.next()).await {
            Ok(Some(Event::Disconnected { reason, .. })) => break reason,
            Ok(Some(_)) => continue,
            other => panic!("client never noticed: {other:?}"),
        }
    };
    assert_eq!(detected, DisconnectReason::HeartbeatTimeout);
    let elapsed = went_silent.elapsed();
    assert!(
        elapsed >= Duration::from_millis(500),
        "too early: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_millis(2_500),
        "too late: {elapsed:?}"
    );

    // Server side: the silent connection is closed too (its pong never arrives).
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.server().connection_count() > 0 {
        assert!(Instant::now() < deadline, "server kept the dead connection");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Heal the path: the client reconnects by itself.
    proxy.set_blackhole(false);
    let deadline = Instant::now() + Duration::from_secs(5);
    while client.state() != State::Connected {
        assert!(Instant::now() < deadline, "no reconnect after healing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.shutdown().await;
}
