//! Positions that cannot be recovered: another epoch, trimmed history, a position from
//! the future. All answer `reset`, replay nothing, and go live.

mod common;

use std::sync::Arc;

use common::{spawn, test_config, TestClient};
use resocket_protocol::{Position, ServerFrame, SubscribeOutcome};
use resocket_server::{MemoryEngine, MemoryEngineConfig, Server, ServerConfig};

fn small_history() -> ServerConfig {
    ServerConfig {
        memory_engine: MemoryEngineConfig {
            history_max_messages: 3,
            ..MemoryEngineConfig::default()
        },
        ..test_config()
    }
}

#[tokio::test]
async fn unrecoverable_positions_are_reset() {
    let server = spawn(Server::builder().config(small_history())).await;
    let addr = server.local_addr();
    let mut publisher = TestClient::connect(addr).await;
    let mut epoch = String::new();
    let mut latest = 0;
    for i in 1..=6 {
        (epoch, latest, _) = publisher.publish("log", &format!("m{i}"), b"x").await;
    }
    let cases = [
        Position {
            epoch: "an-old-epoch".into(),
            offset: 5,
        },
        Position {
            epoch: epoch.clone(),
            offset: 2,
        },
        Position {
            epoch: epoch.clone(),
            offset: 1000,
        },
    ];
    for since in cases {
        let mut client = TestClient::connect(addr).await;
        let (got_epoch, offset, outcome) = client.subscribe("log", Some(since.clone())).await;
        assert_eq!(outcome, SubscribeOutcome::Reset, "for {since:?}");
        assert_eq!((got_epoch.as_str(), offset), (epoch.as_str(), latest));
        client.expect_snapshot().await;
        latest = publisher
            .publish(
                "log",
                &format!("after-{}-{}", since.epoch, since.offset),
                b"y",
            )
            .await
            .1;
        assert!(
            matches!(client.recv().await, ServerFrame::Message { .. }),
            "live delivery follows"
        );
    }
    // History holds the last three offsets: the oldest recoverable position is just
    // before them.
    let mut client = TestClient::connect(addr).await;
    let since = Position {
        epoch: epoch.clone(),
        offset: latest - 3,
    };
    let (_, offset, outcome) = client.subscribe("log", Some(since)).await;
    assert_eq!(
        (offset, outcome),
        (latest, SubscribeOutcome::Recovered { replayed: 3 })
    );
    let mut client = TestClient::connect(addr).await;
    let since = Position {
        epoch,
        offset: latest - 4,
    };
    let (_, _, outcome) = client.subscribe("log", Some(since)).await;
    assert_eq!(outcome, SubscribeOutcome::Reset);
    server.shutdown().await;
}

#[tokio::test]
async fn a_restarted_in_memory_server_resets_old_positions() {
    let first = spawn(Server::builder().config(test_config())).await;
    let addr = first.local_addr();
    let mut client = TestClient::connect(addr).await;
    let (old_epoch, offset, _) = client.publish("room", "m1", b"x").await;
    drop(client);
    first.shutdown().await;

    // Same port, new process state: a new engine with a new epoch.
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let second = Server::builder()
        .config(test_config())
        .build()
        .spawn(listener)
        .unwrap();
    let mut client = TestClient::connect(addr).await;
    let since = Position {
        epoch: old_epoch.clone(),
        offset,
    };
    let (epoch, offset, outcome) = client.subscribe("room", Some(since)).await;
    assert_eq!(outcome, SubscribeOutcome::Reset);
    assert_ne!(epoch, old_epoch);
    assert_eq!(offset, 0);
    second.shutdown().await;
}

#[tokio::test]
async fn a_shared_engine_keeps_positions_across_a_server_restart() {
    let engine = Arc::new(MemoryEngine::default());
    let first = spawn(
        Server::builder()
            .config(test_config())
            .engine(engine.clone()),
    )
    .await;
    let addr = first.local_addr();
    let mut client = TestClient::connect(addr).await;
    let (epoch, offset, _) = client.publish("room", "m1", b"x").await;
    client.publish("room", "m2", b"y").await;
    drop(client);
    first.abort().await;

    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let second = Server::builder()
        .config(test_config())
        .engine(engine)
        .build()
        .spawn(listener)
        .unwrap();
    let mut client = TestClient::connect(addr).await;
    let (_, _, outcome) = client
        .subscribe("room", Some(Position { epoch, offset }))
        .await;
    assert_eq!(outcome, SubscribeOutcome::Recovered { replayed: 1 });
    assert_eq!(client.expect_message().await, (2, b"y".to_vec()));
    second.shutdown().await;
}
