//! Frames queued for a connection are coalesced into few WebSocket messages, in order.

mod common;

use common::{spawn_default, TestClient};
use futures_util::StreamExt;
use resocket_protocol::{
    ClientFrame, DecodeLimits, Payload, ServerFrame, SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK,
};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_burst_arrives_in_far_fewer_websocket_messages_than_frames() {
    const BURST: u64 = 1000;
    let server = spawn_default().await;
    let addr = server.local_addr();
    for subprotocol in [SUBPROTOCOL_MSGPACK, SUBPROTOCOL_JSON] {
        let channel = format!("burst-{subprotocol}");
        let mut reader = TestClient::connect_with(addr, &[subprotocol], None).await;
        reader.subscribe_fresh(&channel).await;
        let mut publisher = TestClient::connect(addr).await;
        let burst: Vec<ClientFrame> = (0..BURST)
            .map(|i| ClientFrame::Publish {
                id: 10 + i,
                channel: channel.clone(),
                msg_id: format!("m{i}"),
                payload: Payload::from(i.to_be_bytes().to_vec()),
            })
            .collect();
        publisher.send_batch(&burst).await;

        let (mut frames, mut messages) = (0u64, 0u64);
        while frames < BURST {
            let message = reader.ws.next().await.unwrap().unwrap();
            let bytes = match message {
                Message::Binary(b) => b.to_vec(),
                Message::Text(t) => t.as_bytes().to_vec(),
                other => panic!("unexpected {other:?}"),
            };
            messages += 1;
            let decoded: Vec<ServerFrame> = reader
                .encoding
                .decode(&bytes, DecodeLimits::default())
                .unwrap();
            for frame in decoded {
                match frame {
                    ServerFrame::Message {
                        offset, payload, ..
                    } => {
                        frames += 1;
                        assert_eq!(offset, frames, "in order");
                        assert_eq!(payload.as_bytes(), (frames - 1).to_be_bytes());
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        assert!(
            messages * 10 < BURST,
            "{subprotocol}: {BURST} frames came in {messages} WebSocket messages"
        );
    }
    server.shutdown().await;
}
