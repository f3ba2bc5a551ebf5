//! HS256 JWT verification: valid tokens are accepted with their subject and channel
//! claims; bad signatures, expired tokens and missing tokens are refused.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{connect_frame, spawn, test_config, TestClient};
use jsonwebtoken::{encode, EncodingKey, Header};
use resocket_protocol::codes::{close, error};
use resocket_protocol::{ClientFrame, ServerFrame};
use resocket_server::{JwtAuth, Server};

const SECRET: &str = "test-secret-of-a-reasonable-length";

fn token(secret: &str, claims: serde_json::Value) -> String {
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn in_an_hour() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600
}

async fn refused(addr: std::net::SocketAddr, token: Option<&str>) -> String {
    let mut client = TestClient::open(addr, &[]).await;
    client.send(&connect_frame(token)).await;
    let ended = client.until_closed().await;
    assert_eq!(ended.close_code, Some(close::UNAUTHORIZED));
    match ended.disconnect {
        Some(ServerFrame::Disconnect {
            reason,
            reconnect: false,
            ..
        }) => reason,
        other => panic!("expected a disconnect, got {other:?}"),
    }
}

#[tokio::test]
async fn valid_tokens_are_accepted_and_bad_ones_refused() {
    let server = spawn(
        Server::builder()
            .config(test_config())
            .auth(JwtAuth::hs256(SECRET)),
    )
    .await;
    let addr = server.local_addr();

    let valid = token(
        SECRET,
        serde_json::json!({"sub": "alice", "exp": in_an_hour()}),
    );
    let mut client = TestClient::open(addr, &[]).await;
    client.send(&connect_frame(Some(&valid))).await;
    match client.recv().await {
        ServerFrame::Connected { user, .. } => assert_eq!(user.as_deref(), Some("alice")),
        other => panic!("expected connected, got {other:?}"),
    }

    let forged = token(
        "another-secret",
        serde_json::json!({"sub": "mallory", "exp": in_an_hour()}),
    );
    let reason = refused(addr, Some(&forged)).await;
    assert!(reason.contains("InvalidSignature"), "{reason}");

    let expired = token(
        SECRET,
        serde_json::json!({"sub": "alice", "exp": 1_000_000}),
    );
    let reason = refused(addr, Some(&expired)).await;
    assert!(reason.contains("ExpiredSignature"), "{reason}");

    let without_exp = token(SECRET, serde_json::json!({"sub": "alice"}));
    refused(addr, Some(&without_exp)).await;
    refused(addr, Some("not.a.jwt")).await;
    refused(addr, None).await;
    server.shutdown().await;
}

#[tokio::test]
async fn channel_claims_limit_what_a_token_may_do() {
    let server = spawn(
        Server::builder()
            .config(test_config())
            .auth(JwtAuth::hs256(SECRET).allow_anonymous(true)),
    )
    .await;
    let addr = server.local_addr();
    let limited = token(
        SECRET,
        serde_json::json!({
            "sub": "bob",
            "exp": in_an_hour(),
            "channels": {"subscribe": ["chat.*"], "publish": ["chat.bob"]}
        }),
    );
    let mut bob = TestClient::connect_with(addr, &[], Some(&limited)).await;
    bob.subscribe_fresh("chat.general").await;
    let (_, offset, _) = bob.publish("chat.bob", "m1", b"mine").await;
    assert_eq!(offset, 1);
    let id = bob.id();
    bob.send(&ClientFrame::Subscribe {
        id,
        channel: "admin".into(),
        since: None,
    })
    .await;
    assert_eq!(bob.expect_error(id).await, error::PERMISSION_DENIED);

    // Anonymous connections are let in when allowed.
    let anonymous = TestClient::connect(addr).await;
    assert!(anonymous.session.is_some());
    server.shutdown().await;
}
