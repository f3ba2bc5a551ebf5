//! The JSON subprotocol: negotiated when offered, text messages, same behaviour, and a
//! publish reaches MessagePack and JSON subscribers alike.

mod common;

use common::{spawn_default, TestClient};
use resocket_protocol::{CallResult, Payload, SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK};

#[tokio::test]
async fn json_is_selected_when_offered_and_spoken_in_text_messages() {
    let server = spawn_default().await;
    let mut client = TestClient::connect_with(server.local_addr(), &[SUBPROTOCOL_JSON], None).await;
    assert_eq!(client.selected.as_deref(), Some(SUBPROTOCOL_JSON));
    assert_eq!(client.last_was_binary, Some(false));
    assert_eq!(
        client.call("echo", b"hello").await,
        CallResult::Ok(Payload::from(b"hello".to_vec()))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn one_publish_reaches_json_and_msgpack_subscribers() {
    let server = spawn_default().await;
    let addr = server.local_addr();
    let mut json = TestClient::connect_with(addr, &[SUBPROTOCOL_JSON], None).await;
    let mut msgpack = TestClient::connect_with(addr, &[SUBPROTOCOL_MSGPACK], None).await;
    json.subscribe_fresh("mixed").await;
    msgpack.subscribe_fresh("mixed").await;
    // The JSON client learns about the msgpack client joining.
    json.recv().await;

    let (_, offset, _) = json.publish("mixed", "m1", b"\x00\xffbinary").await;
    assert_eq!(
        json.expect_message().await,
        (offset, b"\x00\xffbinary".to_vec())
    );
    assert_eq!(
        msgpack.expect_message().await,
        (offset, b"\x00\xffbinary".to_vec())
    );
    assert_eq!(json.last_was_binary, Some(false));
    assert_eq!(msgpack.last_was_binary, Some(true));
    server.shutdown().await;
}
