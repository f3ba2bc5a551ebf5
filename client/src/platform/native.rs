//! tokio + tokio-tungstenite: the native platform.

use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use futures_channel::mpsc::{self, UnboundedReceiver, UnboundedSender};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::core::Time;
use crate::driver::{Outgoing, Platform, SocketChannels, SocketEvent};

/// The native platform.
pub(crate) struct Native;

impl Platform for Native {
    fn now() -> Time {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        Time::from_duration(ORIGIN.get_or_init(Instant::now).elapsed())
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> {
        tokio::time::sleep(duration)
    }

    fn open(url: &str, subprotocol: &'static str, binary: bool) -> SocketChannels {
        let (outgoing, outgoing_rx) = mpsc::unbounded();
        let (incoming_tx, incoming) = mpsc::unbounded();
        tokio::spawn(socket_task(
            url.to_owned(),
            subprotocol,
            binary,
            outgoing_rx,
            incoming_tx,
        ));
        SocketChannels { outgoing, incoming }
    }
}

/// Runs `future` on the current tokio runtime.
pub(crate) fn spawn(future: impl Future<Output = ()> + Send + 'static) {
    tokio::spawn(future);
}

/// A seed from the operating system's entropy.
pub(crate) fn random_seed() -> u64 {
    rand::random()
}

async fn socket_task(
    url: String,
    subprotocol: &'static str,
    binary: bool,
    mut outgoing: UnboundedReceiver<Outgoing>,
    incoming: UnboundedSender<SocketEvent>,
) {
    let closed = |code, reason: String| {
        let _ = incoming.unbounded_send(SocketEvent::Closed { code, reason });
    };
    let mut request = match url.as_str().into_client_request() {
        Ok(r) => r,
        Err(e) => return closed(None, format!("invalid url: {e}")),
    };
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static(subprotocol),
    );
    let config = WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .read_buffer_size(16 << 10)
        .write_buffer_size(0);
    let connect = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
    let stream = tokio::select! {
        result = connect => match result {
            Ok((stream, _response)) => stream,
            Err(e) => return closed(None, e.to_string()),
        },
        // The driver gave up on this socket (connect timeout or close).
        _ = wait_dropped(&mut outgoing) => return,
    };
    let _ = incoming.unbounded_send(SocketEvent::Opened);
    let (mut sink, mut stream) = stream.split();
    loop {
        tokio::select! {
            out = outgoing.next() => match out {
                Some(Outgoing::Message(bytes)) => {
                    let message = if binary {
                        WsMessage::Binary(bytes.into())
                    } else {
                        match String::from_utf8(bytes) {
                            Ok(text) => WsMessage::Text(text.into()),
                            Err(_) => continue,
                        }
                    };
                    if let Err(e) = sink.send(message).await {
                        return closed(None, e.to_string());
                    }
                }
                Some(Outgoing::Close { code, reason }) => {
                    let frame = CloseFrame { code: code.into(), reason: reason.into() };
                    let _ = sink.send(WsMessage::Close(Some(frame))).await;
                    return;
                }
                None => {
                    let _ = sink.close().await;
                    return;
                }
            },
            message = stream.next() => match message {
                Some(Ok(WsMessage::Binary(bytes))) => {
                    let _ = incoming.unbounded_send(SocketEvent::Message(bytes.into()));
                }
                Some(Ok(WsMessage::Text(text))) => {
                    let _ = incoming.unbounded_send(SocketEvent::Message(text.as_bytes().to_vec()));
                }
                Some(Ok(WsMessage::Close(frame))) => {
                    let (code, reason) = match frame {
                        Some(f) => (Some(u16::from(f.code)), f.reason.to_string()),
                        None => (None, String::new()),
                    };
                    return closed(code, reason);
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return closed(None, e.to_string()),
                None => return closed(None, "connection closed".into()),
            },
        }
    }
}

/// Completes when the sender side is dropped (messages sent before are discarded, as
/// the core never transmits before the socket is open).
async fn wait_dropped(outgoing: &mut UnboundedReceiver<Outgoing>) {
    while outgoing.next().await.is_some() {}
}
