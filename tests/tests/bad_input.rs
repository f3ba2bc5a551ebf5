//! Bad input from raw WebSocket clients — garbage bytes, an oversized frame, an unknown
//! frame type, a subscribe flood — gets a clear error or close code, while a real
//! client on the same server keeps publishing, receiving and calling, and the server
//! stays healthy.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use resocket::protocol::codes::{close, error};
use resocket::protocol::{ClientFrame, ClientInfo, DecodeLimits, Encoding, ServerFrame};
use resocket::{ChannelEvent, Client, State};
use resocket_e2e::{fast_client, start, test_server, wait_for, ws_url};
use resocket_server::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Raw = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn raw(url: &str) -> Raw {
    let request = url.into_client_request().unwrap();
    let config = WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    tokio_tungstenite::connect_async_with_config(request, Some(config), true)
        .await
        .expect("raw connect")
        .0
}

fn encode(frame: &ClientFrame) -> Message {
    Message::Binary(Encoding::MsgPack.encode(frame).into())
}

fn connect_frame() -> ClientFrame {
    ClientFrame::Connect {
        version: resocket::protocol::PROTOCOL_VERSION,
        token: None,
        client: ClientInfo::default(),
        resume: None,
    }
}

/// Reads until the server closes; returns the close code and every frame seen.
async fn until_closed(ws: &mut Raw) -> (Option<u16>, String, Vec<ServerFrame>) {
    let mut frames = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => frames.extend(
                Encoding::MsgPack
                    .decode::<ServerFrame>(&bytes, DecodeLimits::default())
                    .expect("server frames decode"),
            ),
            Ok(Some(Ok(Message::Close(frame)))) => {
                let (code, reason) = frame
                    .map(|f| (Some(u16::from(f.code)), f.reason.to_string()))
                    .unwrap_or((None, String::new()));
                return (code, reason, frames);
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_))) | Ok(None) => return (None, String::new(), frames),
            Err(_) => panic!("server did not close the connection"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_clients_get_clear_errors_and_others_are_unaffected() {
    let limits = Limits {
        max_message_bytes: 64 << 10,
        max_subscriptions: 16,
        ..Limits::default()
    };
    let server = start(test_server().limits(limits)).await;
    let url = ws_url(server.local_addr());

    // A well-behaved client, subscribed, before and after every attack.
    let good = Client::connect(url.clone(), fast_client(9));
    let mut room = good.subscribe("room");
    wait_for(&mut room, Duration::from_secs(5), |e| {
        matches!(e, ChannelEvent::Subscribed(_))
    })
    .await;
    let still_works = |n: u32| {
        let good = good.clone();
        async move {
            good.publish("room", &n).await.expect("publish still works");
            let echoed: u32 = good
                .call("echo", &n, Duration::from_secs(2))
                .await
                .expect("rpc still works");
            assert_eq!(echoed, n);
        }
    };

    // 1. Garbage bytes.
    let mut ws = raw(&url).await;
    ws.send(Message::Binary(b"\xc1\xc1\xc1 not msgpack".to_vec().into()))
        .await
        .unwrap();
    let (code, reason, frames) = until_closed(&mut ws).await;
    assert_eq!(code, Some(close::BAD_FRAME));
    assert!(!reason.is_empty(), "a close reason is given");
    assert!(frames.iter().any(|f| matches!(
        f,
        ServerFrame::Error {
            code: error::BAD_FRAME,
            ..
        }
    )));
    still_works(1).await;

    // 2. An oversized frame.
    let mut ws = raw(&url).await;
    ws.send(encode(&connect_frame())).await.unwrap();
    let _ = ws.send(Message::Binary(vec![0x90; 200 << 10].into())).await;
    let (code, _, _) = until_closed(&mut ws).await;
    assert_eq!(code, Some(close::FRAME_TOO_LARGE));
    still_works(2).await;

    // 3. An unknown frame type after a proper connect: answered, not fatal, or closed
    //    with a reason — but never silence.
    let mut ws = raw(&url).await;
    ws.send(encode(&connect_frame())).await.unwrap();
    let unknown = rmp_like_unknown_frame();
    ws.send(Message::Binary(unknown.into())).await.unwrap();
    let mut saw_error = false;
    for _ in 0..10 {
        match tokio::time::timeout(Duration::from_secs(2), ws.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => {
                let frames: Vec<ServerFrame> = Encoding::MsgPack
                    .decode(&bytes, DecodeLimits::default())
                    .unwrap();
                if frames
                    .iter()
                    .any(|f| matches!(f, ServerFrame::Error { .. }))
                {
                    saw_error = true;
                    break;
                }
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                saw_error = frame.is_some_and(|f| !f.reason.is_empty());
                break;
            }
            _ => break,
        }
    }
    assert!(
        saw_error,
        "an unknown frame type gets an error frame or a close reason"
    );
    still_works(3).await;

    // 4. A subscribe flood: refused past the limit with a typed error.
    let mut ws = raw(&url).await;
    ws.send(encode(&connect_frame())).await.unwrap();
    for id in 0..40u64 {
        let frame = ClientFrame::Subscribe {
            id: id + 1,
            channel: format!("flood-{id}"),
            since: None,
        };
        if ws.send(encode(&frame)).await.is_err() {
            break;
        }
    }
    let mut refused = 0;
    let mut closed_with = None;
    while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(2), ws.next()).await
    {
        match message {
            Message::Binary(bytes) => {
                for frame in Encoding::MsgPack
                    .decode::<ServerFrame>(&bytes, DecodeLimits::default())
                    .unwrap()
                {
                    if let ServerFrame::Error { code, .. } = frame {
                        assert!(
                            code == error::TOO_MANY_SUBSCRIPTIONS || code == error::RATE_LIMITED,
                            "unexpected error code {code}"
                        );
                        refused += 1;
                    }
                }
            }
            Message::Close(frame) => {
                closed_with = frame.map(|f| u16::from(f.code));
                break;
            }
            _ => {}
        }
    }
    assert!(
        refused > 0 || closed_with == Some(close::RATE_LIMITED),
        "the flood was not refused"
    );
    still_works(4).await;

    // The good client's subscription saw all four of its own messages, in order.
    let mut got = Vec::new();
    while got.len() < 4 {
        if let ChannelEvent::Message(m) = wait_for(&mut room, Duration::from_secs(5), |e| {
            matches!(e, ChannelEvent::Message(_))
        })
        .await
        {
            got.push(m.decode::<u32>().unwrap());
        }
    }
    assert_eq!(got, vec![1, 2, 3, 4]);
    assert_eq!(good.state(), State::Connected);

    // And the server answers health checks.
    let mut http = TcpStream::connect(server.local_addr()).await.unwrap();
    http.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    http.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    server.shutdown().await;
}

/// `{"bogus": {}}` in MessagePack: a map with one key naming no known frame.
fn rmp_like_unknown_frame() -> Vec<u8> {
    let mut bytes = vec![0x81, 0xa5];
    bytes.extend_from_slice(b"bogus");
    bytes.push(0x80);
    bytes
}
