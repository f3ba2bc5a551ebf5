//! Graceful shutdown tells every client when to come back; an abort drops everyone
//! at once, like a crash, and frees the port for a restart.

mod common;

use std::time::{Duration, Instant};

use common::{spawn, test_config, TestClient};
use resocket_protocol::codes::close;
use resocket_protocol::ServerFrame;
use resocket_server::{Server, ServerConfig};

#[tokio::test]
async fn graceful_shutdown_sends_disconnect_with_a_jittered_retry_after() {
    let server = spawn(Server::builder().config(ServerConfig {
        shutdown_retry_spread: Duration::from_secs(5),
        ..test_config()
    }))
    .await;
    let addr = server.local_addr();
    let mut clients = Vec::new();
    for _ in 0..8 {
        let mut client = TestClient::connect(addr).await;
        client.subscribe_fresh("room").await;
        clients.push(client);
    }
    let started = Instant::now();
    let stopping = tokio::spawn(server.shutdown());
    let mut retry_afters = Vec::new();
    for client in &mut clients {
        let ended = client.until_closed().await;
        assert_eq!(ended.close_code, Some(close::SHUTDOWN));
        match ended.disconnect {
            Some(ServerFrame::Disconnect {
                code: close::SHUTDOWN,
                reconnect: true,
                retry_after_ms: Some(ms),
                ..
            }) => retry_afters.push(ms),
            other => panic!("expected a shutdown disconnect, got {other:?}"),
        }
    }
    stopping.await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "clients that leave promptly end the drain early"
    );
    assert!(retry_afters.iter().all(|ms| *ms < 5000));
    retry_afters.sort();
    retry_afters.dedup();
    assert!(
        retry_afters.len() > 1,
        "retry hints are spread: {retry_afters:?}"
    );

    // Nothing listens any more.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn clients_that_ignore_the_shutdown_are_dropped_after_the_grace() {
    let server = spawn(Server::builder().config(ServerConfig {
        shutdown_grace: Duration::from_millis(300),
        close_grace: Duration::from_millis(200),
        ..test_config()
    }))
    .await;
    // This client never reads, so it never completes the close handshake.
    let _deaf = TestClient::connect(server.local_addr()).await;
    let started = Instant::now();
    server.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn abort_drops_connections_without_a_word_and_frees_the_port() {
    let server = spawn(Server::builder().config(test_config())).await;
    let addr = server.local_addr();
    let mut client = TestClient::connect(addr).await;
    server.abort().await;
    let ended = client.until_closed().await;
    assert_eq!(ended.close_code, None, "no close frame");
    assert!(ended.disconnect.is_none(), "no disconnect frame");

    // A new server can take the same port right away.
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let restarted = Server::builder()
        .config(test_config())
        .build()
        .spawn(listener)
        .unwrap();
    let client = TestClient::connect(addr).await;
    assert!(client.session.is_some());
    restarted.shutdown().await;
}
