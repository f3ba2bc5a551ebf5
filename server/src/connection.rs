//! The IO driver of one WebSocket connection.
//!
//! After the upgrade the socket is split: a **writer task** drains the connection's
//! [`Outbox`] into coalesced WebSocket messages, and a **reader task** decodes incoming
//! messages, feeds their frames to the [`Session`], and keeps the heartbeat. When either
//! task ends the other is given a short grace and then stopped, and the connection's
//! subscriptions are removed from the engine (announcing `leave`).
//!
//! Every decision to end a connection is an [`Outbox::close`]: the writer then flushes
//! what is queued (except on `SLOW_CONSUMER`), sends a `disconnect` frame and a
//! WebSocket close with the same code, and stops. A writer stuck on a client that does
//! not read gets `close_grace` to finish, after which the socket is simply dropped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use resocket_protocol::codes::{close, error};
use resocket_protocol::{DecodeError, DecodeLimits, Encoding, RequestId, ServerFrame};
use tokio::sync::watch;
use tokio::time::{sleep_until, timeout, timeout_at, Instant};

use crate::engine::SubscriberId;
use crate::heartbeat::{Heartbeat, HeartbeatAction};
use crate::outbox::{Closing, Next, Outbox, OutboxLimits};
use crate::server::ServerState;
use crate::session::{Session, Subscriptions};

static NEXT_CONNECTION_ID: AtomicU64 = AtomicU64::new(1);

/// State of one connection shared by its reader, writer, RPC tasks and the engine's
/// fan-out.
pub(crate) struct Connection {
    /// Process-wide unique id; the connection's subscriber id in the engine.
    pub(crate) id: SubscriberId,
    /// Random session id sent to the client.
    pub(crate) session: Arc<str>,
    pub(crate) encoding: Encoding,
    pub(crate) outbox: Arc<Outbox>,
    pub(crate) server: Arc<ServerState>,
    subscriptions: Mutex<Subscriptions>,
}

impl Connection {
    /// Queues one frame. Returns false if it was dropped (the connection is closing).
    pub(crate) fn send(&self, frame: &ServerFrame) -> bool {
        self.outbox.push(Bytes::from(self.encoding.encode(frame)))
    }

    /// Queues an `error` frame.
    pub(crate) fn send_error(&self, code: u16, message: impl Into<String>, id: Option<RequestId>) {
        self.server.metrics.error(code);
        self.send(&ServerFrame::Error {
            code,
            message: message.into(),
            id,
        });
    }

    /// Ends the connection with `disconnect` + close `code`.
    pub(crate) fn disconnect(&self, code: u16, reason: impl Into<String>) {
        self.outbox.close(Closing::disconnect(code, reason));
    }

    pub(crate) fn subscriptions(&self) -> MutexGuard<'_, Subscriptions> {
        self.subscriptions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Removes every subscription from the engine.
    async fn unsubscribe_all(&self) {
        let feeds: Vec<_> = self.subscriptions().drain().collect();
        for (channel, feed) in feeds {
            feed.close();
            self.server.metrics.subscriptions.decrement(1);
            if let Err(e) = self.server.engine.unsubscribe(&channel, self.id).await {
                tracing::warn!(%channel, error = %e, "unsubscribe on close failed");
            }
        }
    }
}

/// Serves one upgraded WebSocket until it closes.
pub(crate) async fn run(socket: WebSocket, server: Arc<ServerState>, encoding: Encoding) {
    let limits = &server.config.limits;
    let outbox = Arc::new(Outbox::new(OutboxLimits {
        max_frames: limits.outbox_max_frames,
        max_bytes: limits.outbox_max_bytes,
    }));
    let conn = Arc::new(Connection {
        id: NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed),
        session: format!("{:016x}", rand::random::<u64>()).into(),
        encoding,
        outbox: outbox.clone(),
        server: server.clone(),
        subscriptions: Mutex::new(Subscriptions::new()),
    });
    let registration = server.connections.register(conn.id, outbox.clone());
    server.metrics.connections.increment(1);
    server.metrics.connections_total.increment(1);
    tracing::debug!(session = %conn.session, ?encoding, "connection opened");

    let (sink, stream) = socket.split();
    let mut writer = tokio::spawn(write_loop(sink, conn.clone()));
    let mut reader = tokio::spawn(read_loop(stream, conn.clone()));
    registration.attach(&[writer.abort_handle(), reader.abort_handle()]);

    let grace = server.config.close_grace;
    tokio::select! {
        _ = &mut writer => {
            if timeout(grace, &mut reader).await.is_err() {
                reader.abort();
            }
        }
        _ = &mut reader => {
            if timeout(grace * 2, &mut writer).await.is_err() {
                writer.abort();
            }
        }
    }
    conn.unsubscribe_all().await;
    server.metrics.connections.decrement(1);
    tracing::debug!(
        session = %conn.session,
        code = ?conn.outbox.closing_code(),
        "connection closed"
    );
    drop(registration);
}

async fn read_loop(mut stream: SplitStream<WebSocket>, conn: Arc<Connection>) {
    let server = conn.server.clone();
    let config = &server.config;
    let decode_limits = DecodeLimits {
        max_message_bytes: config.limits.max_message_bytes,
        max_frames: config.limits.max_frames_per_message,
    };
    let connect_deadline = Instant::now() + config.connect_timeout;
    let mut heartbeat: Option<Heartbeat> = None;
    let mut session = Session::new(conn.clone());
    let mut closing = conn.outbox.closing_signal();
    let mut frames = Vec::new();

    while !conn.outbox.is_closing() {
        let deadline = heartbeat
            .as_ref()
            .map_or(connect_deadline, Heartbeat::deadline);
        tokio::select! {
            message = stream.next() => {
                let message = match message {
                    Some(Ok(message)) => message,
                    Some(Err(e)) => return conn.outbox.close(closing_for_socket_error(e)),
                    None => return conn.outbox.close(Closing::PeerGone),
                };
                if let Some(hb) = &mut heartbeat {
                    hb.on_activity();
                }
                let bytes = match message {
                    Message::Binary(bytes) => bytes,
                    Message::Text(text) => Bytes::from(text),
                    Message::Ping(_) | Message::Pong(_) => continue,
                    Message::Close(_) => return conn.outbox.close(Closing::PeerGone),
                };
                frames.clear();
                let decoded = conn.encoding.decode_each(&bytes, decode_limits, |f| frames.push(f));
                server.metrics.messages_in.increment(frames.len() as u64);
                for frame in frames.drain(..) {
                    session.handle(frame).await;
                    if conn.outbox.is_closing() {
                        break;
                    }
                }
                if let Err(e) = decoded {
                    reject_undecodable(&conn, &e, session.is_connected());
                }
                if heartbeat.is_none() && session.is_connected() {
                    heartbeat = Some(Heartbeat::new(Instant::now(), config.ping_interval, config.ping_timeout));
                }
            }
            _ = sleep_until(deadline) => match &mut heartbeat {
                None => conn.disconnect(
                    close::PROTOCOL_VIOLATION,
                    format!("no connect frame within {} ms", config.connect_timeout.as_millis()),
                ),
                Some(hb) => match hb.on_deadline(Instant::now()) {
                    HeartbeatAction::SendPing => {
                        conn.send(&ServerFrame::Ping {});
                    }
                    HeartbeatAction::TimedOut => conn.disconnect(
                        close::HEARTBEAT_TIMEOUT,
                        format!("no frame within {} ms of a ping", config.ping_timeout.as_millis()),
                    ),
                    HeartbeatAction::Wait => {}
                },
            },
            _ = session.call_finished() => {}
            _ = closed(&mut closing) => {}
        }
    }
    // Closing: keep reading (and discarding) so the client's close handshake completes,
    // until the peer is gone or the writer has finished and this task is stopped.
    while let Some(Ok(message)) = stream.next().await {
        if matches!(message, Message::Close(_)) {
            break;
        }
    }
}

/// Answers a message that did not decode. Unknown frame types are reported and
/// skipped (a newer client may send them); anything else ends the connection.
fn reject_undecodable(conn: &Connection, e: &DecodeError, connected: bool) {
    if conn.outbox.is_closing() {
        return;
    }
    conn.send_error(error::BAD_FRAME, e.to_string(), None);
    match e {
        DecodeError::UnknownFrameType(_) if connected => {}
        DecodeError::TooLarge { .. } => conn.disconnect(close::FRAME_TOO_LARGE, e.to_string()),
        _ => conn.disconnect(close::BAD_FRAME, e.to_string()),
    }
}

fn closing_for_socket_error(e: axum::Error) -> Closing {
    use tungstenite::error::{CapacityError, Error};
    match e.into_inner().downcast::<Error>() {
        Ok(e) => match *e {
            Error::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
                Closing::disconnect(
                    close::FRAME_TOO_LARGE,
                    format!("message of {size} bytes exceeds the limit of {max_size} bytes"),
                )
            }
            Error::Capacity(e) => Closing::disconnect(close::FRAME_TOO_LARGE, e.to_string()),
            Error::Protocol(e) => Closing::disconnect(close::BAD_FRAME, e.to_string()),
            Error::Utf8(_) => Closing::disconnect(close::BAD_FRAME, "text message is not UTF-8"),
            _ => Closing::PeerGone,
        },
        Err(_) => Closing::PeerGone,
    }
}

async fn write_loop(mut sink: SplitSink<WebSocket, Message>, conn: Arc<Connection>) {
    let server = conn.server.clone();
    let config = &server.config;
    let batch_max = config.limits.batch_max_bytes;
    let mut closing = conn.outbox.closing_signal();
    // Set once the connection is closing: everything left must be written by then.
    let mut deadline: Option<Instant> = None;
    let close_by = |deadline: &mut Option<Instant>| {
        *deadline.get_or_insert_with(|| {
            if let Some(code) = conn.outbox.closing_code() {
                server.metrics.disconnect(code);
            }
            Instant::now() + config.close_grace
        })
    };
    let mut buf = Vec::with_capacity(batch_max.min(16 * 1024));
    loop {
        match conn.outbox.next(&mut buf, conn.encoding, batch_max) {
            Next::Batch(frames) => {
                let message = wire_message(conn.encoding, std::mem::take(&mut buf));
                let send = sink.send(message);
                tokio::pin!(send);
                if deadline.is_none() {
                    tokio::select! {
                        sent = &mut send => {
                            if sent.is_err() {
                                return conn.outbox.close(Closing::PeerGone);
                            }
                            server.metrics.messages_out.increment(frames as u64);
                            continue;
                        }
                        _ = closed(&mut closing) => {}
                    }
                }
                // Closing while this batch is in flight (possibly stuck on a client
                // that does not read): it gets until the deadline.
                match timeout_at(close_by(&mut deadline), &mut send).await {
                    Ok(Ok(())) => server.metrics.messages_out.increment(frames as u64),
                    _ => return,
                }
            }
            Next::Close(closing) => {
                let until = close_by(&mut deadline);
                return finish(&mut sink, &conn, closing, until).await;
            }
            Next::Idle => conn.outbox.ready().await,
        }
    }
}

/// Sends the `disconnect` frame and the WebSocket close, best effort, by `until`.
async fn finish(
    sink: &mut SplitSink<WebSocket, Message>,
    conn: &Connection,
    closing: Closing,
    until: Instant,
) {
    let Closing::Disconnect {
        code,
        reason,
        retry_after_ms,
    } = closing
    else {
        let _ = timeout_at(until, sink.close()).await;
        return;
    };
    tracing::debug!(session = %conn.session, code, %reason, "disconnecting");
    let frame = ServerFrame::Disconnect {
        code,
        reason: reason.clone(),
        reconnect: close::should_reconnect(code),
        retry_after_ms,
    };
    let disconnect = wire_message(conn.encoding, conn.encoding.encode(&frame));
    let close_frame = Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from(truncate_reason(&reason)),
    }));
    let _ = timeout_at(until, async {
        sink.send(disconnect).await?;
        sink.send(close_frame).await
    })
    .await;
}

fn wire_message(encoding: Encoding, bytes: Vec<u8>) -> Message {
    if encoding.is_binary() {
        return Message::Binary(Bytes::from(bytes));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Message::Text(Utf8Bytes::from(text)),
        // JSON encoding only produces UTF-8; should that ever fail, send it as binary.
        Err(e) => Message::Binary(Bytes::from(e.into_bytes())),
    }
}

/// WebSocket close reasons are limited to 123 bytes.
fn truncate_reason(reason: &str) -> String {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}

/// Resolves once the outbox's closing signal is set.
async fn closed(signal: &mut watch::Receiver<bool>) {
    let _ = signal.wait_for(|closing| *closing).await;
}
