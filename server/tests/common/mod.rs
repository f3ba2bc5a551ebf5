//! A raw protocol client and server helpers shared by the integration tests.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use resocket_protocol::{
    ClientFrame, ClientInfo, DecodeLimits, Encoding, Payload, Position, ServerFrame,
    SubscribeOutcome, PROTOCOL_VERSION,
};
use resocket_server::{Server, ServerBuilder, ServerConfig, ServerHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single expected event may take before a test fails.
pub const STEP: Duration = Duration::from_secs(5);

/// Config with short timings for tests.
pub fn test_config() -> ServerConfig {
    ServerConfig {
        shutdown_grace: Duration::from_secs(2),
        close_grace: Duration::from_millis(500),
        ..ServerConfig::default()
    }
}

/// Starts `builder` on 127.0.0.1 with an OS-chosen port.
pub async fn spawn(builder: ServerBuilder) -> ServerHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    builder.build().spawn(listener).unwrap()
}

/// Starts a default test server with an `echo` handler.
pub async fn spawn_default() -> ServerHandle {
    spawn(
        Server::builder()
            .config(test_config())
            .rpc("echo", |_ctx, payload| async move { Ok(payload) }),
    )
    .await
}

/// How a connection ended, as seen by the client.
#[derive(Debug)]
pub struct Ended {
    /// The `disconnect` frame, if one came.
    pub disconnect: Option<ServerFrame>,
    /// The WebSocket close code, if a close frame came.
    pub close_code: Option<u16>,
    /// Frames received between the call and the end (pings excluded).
    pub frames: Vec<ServerFrame>,
}

/// A client speaking the protocol over a raw WebSocket.
pub struct TestClient {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub encoding: Encoding,
    /// The subprotocol the server selected, if any.
    pub selected: Option<String>,
    /// Frames decoded but not yet returned.
    pending: std::collections::VecDeque<ServerFrame>,
    /// Whether the last data message received was binary.
    pub last_was_binary: Option<bool>,
    pub session: Option<String>,
    next_id: u64,
}

impl TestClient {
    /// Opens a WebSocket offering `subprotocols` (none when empty).
    pub async fn open(addr: SocketAddr, subprotocols: &[&str]) -> Self {
        let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
        if !subprotocols.is_empty() {
            request.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_str(&subprotocols.join(", ")).unwrap(),
            );
        }
        let (ws, response) = tokio::time::timeout(STEP, tokio_tungstenite::connect_async(request))
            .await
            .expect("connect timed out")
            .expect("websocket handshake");
        let selected = response
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().unwrap().to_owned());
        let encoding = selected
            .as_deref()
            .and_then(Encoding::from_subprotocol)
            .unwrap_or_default();
        Self {
            ws,
            encoding,
            selected,
            pending: Default::default(),
            last_was_binary: None,
            session: None,
            next_id: 1,
        }
    }

    /// Opens a MessagePack connection and completes `connect`.
    pub async fn connect(addr: SocketAddr) -> Self {
        Self::connect_with(addr, &[], None).await
    }

    /// Opens a connection and completes `connect` with `token`.
    pub async fn connect_with(
        addr: SocketAddr,
        subprotocols: &[&str],
        token: Option<&str>,
    ) -> Self {
        let mut client = Self::open(addr, subprotocols).await;
        client.send(&connect_frame(token)).await;
        match client.recv().await {
            ServerFrame::Connected { session, .. } => client.session = Some(session),
            other => panic!("expected connected, got {other:?}"),
        }
        client
    }

    /// A fresh request id.
    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub async fn send(&mut self, frame: &ClientFrame) {
        let bytes = self.encoding.encode(frame);
        self.send_bytes(bytes).await;
    }

    /// Sends several frames in one WebSocket message.
    pub async fn send_batch(&mut self, frames: &[ClientFrame]) {
        let mut buf = Vec::new();
        for frame in frames {
            self.encoding.encode_into(frame, &mut buf);
        }
        self.send_bytes(buf).await;
    }

    pub async fn send_bytes(&mut self, bytes: Vec<u8>) {
        let message = if self.encoding.is_binary() {
            Message::Binary(bytes.into())
        } else {
            Message::Text(String::from_utf8(bytes).unwrap().into())
        };
        self.ws.send(message).await.expect("send");
    }

    /// The next frame, pings included; panics on close or timeout.
    pub async fn recv_any(&mut self) -> ServerFrame {
        loop {
            if let Some(frame) = self.pending.pop_front() {
                return frame;
            }
            let message = tokio::time::timeout(STEP, self.ws.next())
                .await
                .expect("timed out waiting for a frame")
                .expect("connection ended")
                .expect("websocket error");
            self.absorb(message);
        }
    }

    fn absorb(&mut self, message: Message) -> Option<Option<u16>> {
        let bytes = match message {
            Message::Binary(b) => {
                self.last_was_binary = Some(true);
                b.to_vec()
            }
            Message::Text(t) => {
                self.last_was_binary = Some(false);
                t.as_bytes().to_vec()
            }
            Message::Close(frame) => return Some(frame.map(|f| u16::from(f.code))),
            _ => return None,
        };
        let frames: Vec<ServerFrame> = self
            .encoding
            .decode(&bytes, DecodeLimits::default())
            .expect("server frames decode");
        self.pending.extend(frames);
        None
    }

    /// The next frame that is not a server `ping`.
    pub async fn recv(&mut self) -> ServerFrame {
        loop {
            match self.recv_any().await {
                ServerFrame::Ping {} => continue,
                frame => return frame,
            }
        }
    }

    /// Reads until the connection ends, collecting frames and the close.
    pub async fn until_closed(&mut self) -> Ended {
        let mut ended = Ended {
            disconnect: None,
            close_code: None,
            frames: Vec::new(),
        };
        loop {
            while let Some(frame) = self.pending.pop_front() {
                match frame {
                    ServerFrame::Disconnect { .. } => ended.disconnect = Some(frame),
                    ServerFrame::Ping {} => {}
                    frame => ended.frames.push(frame),
                }
            }
            let next = tokio::time::timeout(STEP, self.ws.next())
                .await
                .expect("timed out waiting for the connection to end");
            match next {
                Some(Ok(message)) => {
                    if let Some(code) = self.absorb(message) {
                        ended.close_code = code;
                    }
                }
                Some(Err(_)) | None => {
                    while let Some(frame) = self.pending.pop_front() {
                        match frame {
                            ServerFrame::Disconnect { .. } => ended.disconnect = Some(frame),
                            ServerFrame::Ping {} => {}
                            frame => ended.frames.push(frame),
                        }
                    }
                    return ended;
                }
            }
        }
    }

    /// Subscribes and returns `subscribed`'s `(epoch, offset, outcome)`; the replay (if
    /// any) and the presence snapshot are left to read.
    pub async fn subscribe(
        &mut self,
        channel: &str,
        since: Option<Position>,
    ) -> (String, u64, SubscribeOutcome) {
        let id = self.id();
        self.send(&ClientFrame::Subscribe {
            id,
            channel: channel.into(),
            since,
        })
        .await;
        match self.recv().await {
            ServerFrame::Subscribed {
                id: got,
                epoch,
                offset,
                outcome,
                ..
            } if got == id => (epoch, offset, outcome),
            other => panic!("expected subscribed, got {other:?}"),
        }
    }

    /// Subscribes fresh and reads past the presence snapshot.
    pub async fn subscribe_fresh(&mut self, channel: &str) -> (String, u64) {
        let (epoch, offset, outcome) = self.subscribe(channel, None).await;
        assert_eq!(outcome, SubscribeOutcome::Fresh);
        self.expect_snapshot().await;
        (epoch, offset)
    }

    /// Reads the next frame and checks it is a presence snapshot.
    pub async fn expect_snapshot(&mut self) -> Vec<resocket_protocol::PresenceMember> {
        match self.recv().await {
            ServerFrame::Presence {
                event: resocket_protocol::PresenceEvent::Snapshot { members },
                ..
            } => members,
            other => panic!("expected presence snapshot, got {other:?}"),
        }
    }

    /// Publishes and returns the ack's `(epoch, offset, duplicate)`.
    pub async fn publish(
        &mut self,
        channel: &str,
        msg_id: &str,
        payload: &[u8],
    ) -> (String, u64, bool) {
        let id = self.id();
        self.send(&ClientFrame::Publish {
            id,
            channel: channel.into(),
            msg_id: msg_id.into(),
            payload: Payload::from(payload.to_vec()),
        })
        .await;
        let ack = self
            .recv_where(|f| matches!(f, ServerFrame::PublishAck { id: got, .. } if *got == id))
            .await;
        match ack {
            ServerFrame::PublishAck {
                epoch,
                offset,
                duplicate,
                ..
            } => (epoch, offset, duplicate),
            _ => unreachable!(),
        }
    }

    /// The first frame matching `pred`; frames before it (pings excluded) stay queued,
    /// in order, for the next reads.
    pub async fn recv_where(&mut self, pred: impl Fn(&ServerFrame) -> bool) -> ServerFrame {
        let mut skipped = Vec::new();
        let found = loop {
            let frame = self.recv().await;
            if pred(&frame) {
                break frame;
            }
            skipped.push(frame);
        };
        for frame in skipped.into_iter().rev() {
            self.pending.push_front(frame);
        }
        found
    }

    /// The next frame, which must be a `message`: `(offset, payload)`.
    pub async fn expect_message(&mut self) -> (u64, Vec<u8>) {
        match self.recv().await {
            ServerFrame::Message {
                offset, payload, ..
            } => (offset, payload.as_bytes().to_vec()),
            other => panic!("expected message, got {other:?}"),
        }
    }

    /// The next frame, which must be an `error` answering `id`: its code.
    pub async fn expect_error(&mut self, id: u64) -> u16 {
        match self.recv().await {
            ServerFrame::Error {
                code,
                id: Some(got),
                ..
            } if got == id => code,
            other => panic!("expected error for request {id}, got {other:?}"),
        }
    }

    /// Calls `method` and returns the reply's result.
    pub async fn call(&mut self, method: &str, payload: &[u8]) -> resocket_protocol::CallResult {
        let id = self.id();
        self.send(&ClientFrame::Call {
            id,
            method: method.into(),
            payload: Payload::from(payload.to_vec()),
        })
        .await;
        match self
            .recv_where(|f| matches!(f, ServerFrame::Reply { id: got, .. } if *got == id))
            .await
        {
            ServerFrame::Reply { result, .. } => result,
            _ => unreachable!(),
        }
    }
}

/// A `connect` frame of the current version.
pub fn connect_frame(token: Option<&str>) -> ClientFrame {
    ClientFrame::Connect {
        version: PROTOCOL_VERSION,
        token: token.map(str::to_owned),
        client: ClientInfo {
            name: "resocket-server-tests".into(),
            version: "0".into(),
        },
        resume: None,
    }
}

/// A minimal HTTP/1.1 GET: `(status, body)`.
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(STEP, stream.read_to_end(&mut response))
        .await
        .expect("http response timed out")
        .unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let body = match text.split_once("\r\n\r\n") {
        Some((_, body)) => body.to_owned(),
        None => String::new(),
    };
    (status, body)
}
