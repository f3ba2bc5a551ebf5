//! Heartbeat: pings every interval; a silent client is closed with
//! `HEARTBEAT_TIMEOUT`, a responsive one is kept.

mod common;

use std::time::{Duration, Instant};

use common::{spawn, test_config, TestClient};
use resocket_protocol::codes::close;
use resocket_protocol::{ClientFrame, ServerFrame};
use resocket_server::Server;

async fn heartbeat_server() -> resocket_server::ServerHandle {
    spawn(
        Server::builder()
            .config(test_config())
            .heartbeat(Duration::from_millis(100), Duration::from_millis(150)),
    )
    .await
}

#[tokio::test]
async fn a_client_that_never_answers_is_closed_with_heartbeat_timeout() {
    let server = heartbeat_server().await;
    let mut client = TestClient::connect(server.local_addr()).await;
    let connected = Instant::now();
    assert_eq!(client.recv_any().await, ServerFrame::Ping {});
    let ended = client.until_closed().await;
    assert_eq!(ended.close_code, Some(close::HEARTBEAT_TIMEOUT));
    assert!(matches!(
        ended.disconnect,
        Some(ServerFrame::Disconnect {
            code: close::HEARTBEAT_TIMEOUT,
            reconnect: true,
            ..
        })
    ));
    let lasted = connected.elapsed();
    assert!(
        lasted >= Duration::from_millis(240),
        "closed too early: {lasted:?}"
    );
    assert!(
        lasted < Duration::from_millis(1500),
        "closed too late: {lasted:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_answers_pings_stays_connected() {
    let server = heartbeat_server().await;
    let mut client = TestClient::connect(server.local_addr()).await;
    let mut pings = 0;
    let until = Instant::now() + Duration::from_millis(700);
    while Instant::now() < until {
        match client.recv_any().await {
            ServerFrame::Ping {} => {
                pings += 1;
                client.send(&ClientFrame::Pong {}).await;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(pings >= 5, "only {pings} pings");
    // Client pings are answered too.
    client.send(&ClientFrame::Ping {}).await;
    assert_eq!(client.recv().await, ServerFrame::Pong {});
    server.shutdown().await;
}
