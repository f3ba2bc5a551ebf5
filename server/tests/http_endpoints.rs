//! The plain HTTP side: `/healthz`, Prometheus `/metrics`, static files.

mod common;

use common::{http_get, spawn, test_config, TestClient};
use resocket_server::Server;

#[tokio::test]
async fn healthz_metrics_and_static_files_respond() {
    let dir = std::env::temp_dir().join(format!("resocket-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>resocket</h1>").unwrap();
    std::fs::write(dir.join("app.js"), "console.log(1)").unwrap();

    let server = spawn(
        Server::builder()
            .config(test_config())
            .static_dir(&dir)
            .rpc("echo", |_ctx, payload| async move { Ok(payload) }),
    )
    .await;
    let addr = server.local_addr();
    assert_eq!(http_get(addr, "/healthz").await, (200, "ok\n".into()));

    let mut client = TestClient::connect(addr).await;
    client.subscribe_fresh("metered").await;
    client.publish("metered", "m1", b"x").await;
    client.call("echo", b"").await;
    client.call("missing", b"").await;
    let (status, metrics) = http_get(addr, "/metrics").await;
    assert_eq!(status, 200);
    for line in [
        "resocket_connections 1",
        "resocket_connections_total 1",
        "resocket_subscriptions 1",
        "resocket_publishes_total 1",
        "resocket_calls_total 2",
        "resocket_errors_total{code=\"106\"} 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing `{line}` in:\n{metrics}"
        );
    }
    let messages_in: u64 = metric(&metrics, "resocket_messages_in_total");
    let messages_out: u64 = metric(&metrics, "resocket_messages_out_total");
    assert!(messages_in >= 5, "{messages_in}");
    assert!(messages_out >= 6, "{messages_out}");

    assert_eq!(http_get(addr, "/").await, (200, "<h1>resocket</h1>".into()));
    assert_eq!(
        http_get(addr, "/app.js").await,
        (200, "console.log(1)".into())
    );
    // Unknown paths fall back to the app's index page.
    assert_eq!(http_get(addr, "/rooms/42").await.1, "<h1>resocket</h1>");

    drop(client);
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(name)
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

#[tokio::test]
async fn unknown_paths_are_404_without_a_static_dir() {
    let server = spawn(Server::builder().config(test_config())).await;
    let addr = server.local_addr();
    assert_eq!(http_get(addr, "/nothing-here").await.0, 404);
    server.shutdown().await;
}
