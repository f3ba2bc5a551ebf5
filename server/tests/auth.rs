//! The auth hook: refusals close with `UNAUTHORIZED`; identities carry channel
//! permissions that subscribe and publish respect.

mod common;

use common::{connect_frame, spawn, test_config, TestClient};
use resocket_protocol::codes::{close, error};
use resocket_protocol::{ClientFrame, Payload, ServerFrame};
use resocket_server::{AuthError, ChannelPermissions, Identity, Server};

async fn server() -> resocket_server::ServerHandle {
    spawn(
        Server::builder()
            .config(test_config())
            .auth(|token: Option<String>| async move {
                match token.as_deref() {
                    Some("admin") => Ok(Identity::user("admin")),
                    Some("reader") => Ok(Identity::user("reader").with_permissions(
                        ChannelPermissions::from_patterns(vec!["public.*".into()], vec![]),
                    )),
                    Some(_) => Err(AuthError::InvalidToken("unknown token".into())),
                    None => Err(AuthError::MissingToken),
                }
            }),
    )
    .await
}

#[tokio::test]
async fn a_refused_token_closes_with_unauthorized() {
    let server = server().await;
    for token in [Some("forged"), None] {
        let mut client = TestClient::open(server.local_addr(), &[]).await;
        client.send(&connect_frame(token)).await;
        let ended = client.until_closed().await;
        assert_eq!(
            ended.close_code,
            Some(close::UNAUTHORIZED),
            "token {token:?}"
        );
        match ended.disconnect {
            Some(ServerFrame::Disconnect {
                code: close::UNAUTHORIZED,
                reconnect: false,
                reason,
                ..
            }) => {
                assert!(!reason.is_empty())
            }
            other => panic!("expected an unauthorized disconnect, got {other:?}"),
        }
        assert!(
            ended.frames.is_empty(),
            "no connected frame: {:?}",
            ended.frames
        );
    }
    let admin = TestClient::connect_with(server.local_addr(), &[], Some("admin")).await;
    assert!(admin.session.is_some());
    server.shutdown().await;
}

#[tokio::test]
async fn channel_permissions_are_enforced() {
    let server = server().await;
    let mut reader = TestClient::connect_with(server.local_addr(), &[], Some("reader")).await;
    reader.subscribe_fresh("public.news").await;
    let id = reader.id();
    reader
        .send(&ClientFrame::Subscribe {
            id,
            channel: "private.hr".into(),
            since: None,
        })
        .await;
    assert_eq!(reader.expect_error(id).await, error::PERMISSION_DENIED);
    let id = reader.id();
    reader
        .send(&ClientFrame::Publish {
            id,
            channel: "public.news".into(),
            msg_id: "m".into(),
            payload: Payload::default(),
        })
        .await;
    assert_eq!(reader.expect_error(id).await, error::PERMISSION_DENIED);

    let mut admin = TestClient::connect_with(server.local_addr(), &[], Some("admin")).await;
    admin.publish("public.news", "m", b"hello").await;
    assert_eq!(reader.expect_message().await, (1, b"hello".to_vec()));
    server.shutdown().await;
}
