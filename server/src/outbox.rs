//! The bounded queue of encoded frames waiting to be written to one connection.
//!
//! Everything a connection is sent — replies, fan-out from the engine, pings — is pushed
//! here as already encoded bytes, from whichever task produced it, without waiting. The
//! connection's writer task drains the queue and coalesces whatever is waiting into one
//! WebSocket message (up to a size), so a fast publisher costs a browser one WebSocket
//! frame per batch instead of one per message.
//!
//! The queue is bounded by frame count and bytes. A push that would exceed either bound
//! means the client does not read fast enough: the queue is dropped on the spot (so the
//! server's memory does not grow) and the connection is marked to close with
//! `SLOW_CONSUMER`.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use resocket_protocol::codes::close;
use resocket_protocol::Encoding;
use tokio::sync::{watch, Notify};

/// Bounds of one connection's outbound queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutboxLimits {
    /// Most frames queued.
    pub(crate) max_frames: usize,
    /// Most bytes queued.
    pub(crate) max_bytes: usize,
}

/// Why and how a connection ends, decided by whoever noticed first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Closing {
    /// The server ends the connection: send a `disconnect` frame, then a WebSocket close
    /// with the same code.
    Disconnect {
        /// Close code ([`close`]).
        code: u16,
        /// Human-readable reason.
        reason: String,
        /// Reconnect hint for the client.
        retry_after_ms: Option<u64>,
    },
    /// The peer closed or the socket failed: nothing more to say.
    PeerGone,
}

impl Closing {
    /// A server-initiated close without a retry hint.
    pub(crate) fn disconnect(code: u16, reason: impl Into<String>) -> Self {
        Closing::Disconnect {
            code,
            reason: reason.into(),
            retry_after_ms: None,
        }
    }

    /// The close code, if the server initiated the close.
    pub(crate) fn code(&self) -> Option<u16> {
        match self {
            Closing::Disconnect { code, .. } => Some(*code),
            Closing::PeerGone => None,
        }
    }
}

/// What the writer should do next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// This many frames were appended to the buffer: send it.
    Batch(usize),
    /// The queue is drained and the connection is closing.
    Close(Closing),
    /// Nothing to do: wait for [`Outbox::ready`].
    Idle,
}

struct State {
    queue: VecDeque<Bytes>,
    queued_bytes: usize,
    closing: Option<Closing>,
}

/// One connection's outbound queue. See the [module docs](self).
pub(crate) struct Outbox {
    state: Mutex<State>,
    ready: Notify,
    closing_tx: watch::Sender<bool>,
    limits: OutboxLimits,
}

impl Outbox {
    pub(crate) fn new(limits: OutboxLimits) -> Self {
        Self {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                queued_bytes: 0,
                closing: None,
            }),
            ready: Notify::new(),
            closing_tx: watch::Sender::new(false),
            limits,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues encoded frames. Returns false if they were dropped because the connection
    /// is closing, or because they overflowed the queue (which starts the close).
    pub(crate) fn push(&self, frame: Bytes) -> bool {
        let mut state = self.lock();
        if state.closing.is_some() {
            return false;
        }
        if state.queue.len() >= self.limits.max_frames
            || state.queued_bytes + frame.len() > self.limits.max_bytes
        {
            drop(state);
            self.close(Closing::disconnect(
                close::SLOW_CONSUMER,
                "outbound buffer overflow: the client does not read fast enough",
            ));
            return false;
        }
        // Only the first frame after the writer drained the queue needs to wake it:
        // until it drains the queue again, it will find later frames by itself.
        let was_empty = state.queue.is_empty();
        state.queued_bytes += frame.len();
        state.queue.push_back(frame);
        drop(state);
        if was_empty {
            self.ready.notify_one();
        }
        true
    }

    /// Starts closing the connection; the first call wins. Frames already queued are
    /// still sent first, except on `SLOW_CONSUMER`, where they are dropped.
    pub(crate) fn close(&self, closing: Closing) {
        let mut state = self.lock();
        if state.closing.is_some() {
            return;
        }
        if closing.code() == Some(close::SLOW_CONSUMER) {
            state.queue = VecDeque::new();
            state.queued_bytes = 0;
        }
        state.closing = Some(closing);
        drop(state);
        self.closing_tx.send_replace(true);
        self.ready.notify_one();
    }

    /// Whether [`close`](Self::close) was called.
    pub(crate) fn is_closing(&self) -> bool {
        self.lock().closing.is_some()
    }

    /// The close code, if the server decided to close.
    pub(crate) fn closing_code(&self) -> Option<u16> {
        self.lock().closing.as_ref().and_then(Closing::code)
    }

    /// Resolves once the connection starts closing.
    pub(crate) fn closing_signal(&self) -> watch::Receiver<bool> {
        self.closing_tx.subscribe()
    }

    /// Resolves when there may be something to do (a push or a close since the last
    /// [`next`](Self::next)).
    pub(crate) async fn ready(&self) {
        self.ready.notified().await
    }

    /// Moves queued frames into `buf` (cleared first) until it would exceed
    /// `max_batch_bytes`; the first frame is always taken, however large.
    pub(crate) fn next(
        &self,
        buf: &mut Vec<u8>,
        encoding: Encoding,
        max_batch_bytes: usize,
    ) -> Next {
        buf.clear();
        let mut state = self.lock();
        let mut frames = 0;
        while let Some(front) = state.queue.front() {
            let separator = usize::from(frames > 0 && encoding == Encoding::Json);
            if frames > 0 && buf.len() + separator + front.len() > max_batch_bytes {
                break;
            }
            let Some(frame) = state.queue.pop_front() else {
                break;
            };
            state.queued_bytes -= frame.len();
            encoding.append_encoded(&frame, buf);
            frames += 1;
        }
        if frames > 0 {
            return Next::Batch(frames);
        }
        match &state.closing {
            Some(closing) => Next::Close(closing.clone()),
            None => Next::Idle,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox(max_frames: usize, max_bytes: usize) -> Outbox {
        Outbox::new(OutboxLimits {
            max_frames,
            max_bytes,
        })
    }

    #[test]
    fn coalesces_queued_frames_up_to_the_batch_size() {
        let out = outbox(10, 1000);
        for text in ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"] {
            assert!(out.push(Bytes::from_static(text.as_bytes())));
        }
        let mut buf = Vec::new();
        assert_eq!(out.next(&mut buf, Encoding::Json, 16), Next::Batch(2));
        assert_eq!(buf, b"{\"a\":1}\n{\"b\":2}");
        assert_eq!(out.next(&mut buf, Encoding::Json, 16), Next::Batch(1));
        assert_eq!(buf, b"{\"c\":3}");
        assert_eq!(out.next(&mut buf, Encoding::Json, 16), Next::Idle);
    }

    #[test]
    fn an_oversized_frame_still_goes_out_alone() {
        let out = outbox(10, 1000);
        out.push(Bytes::from(vec![1u8; 100]));
        out.push(Bytes::from(vec![2u8; 1]));
        let mut buf = Vec::new();
        assert_eq!(out.next(&mut buf, Encoding::MsgPack, 10), Next::Batch(1));
        assert_eq!(buf.len(), 100);
    }

    #[test]
    fn overflow_drops_the_queue_and_closes_as_slow_consumer() {
        let out = outbox(2, 1000);
        assert!(out.push(Bytes::from_static(b"1")));
        assert!(out.push(Bytes::from_static(b"2")));
        assert!(!out.push(Bytes::from_static(b"3")));
        assert!(
            !out.push(Bytes::from_static(b"4")),
            "closing drops further pushes"
        );
        let mut buf = Vec::new();
        let next = out.next(&mut buf, Encoding::MsgPack, 1000);
        assert!(matches!(next, Next::Close(c) if c.code() == Some(close::SLOW_CONSUMER)));

        let by_bytes = outbox(100, 4);
        assert!(by_bytes.push(Bytes::from_static(b"123")));
        assert!(!by_bytes.push(Bytes::from_static(b"45")));
        assert_eq!(by_bytes.closing_code(), Some(close::SLOW_CONSUMER));
    }

    #[test]
    fn other_closes_flush_the_queue_first() {
        let out = outbox(10, 1000);
        out.push(Bytes::from_static(b"x"));
        out.close(Closing::disconnect(close::BAD_FRAME, "bad"));
        out.close(Closing::PeerGone);
        let mut buf = Vec::new();
        assert_eq!(out.next(&mut buf, Encoding::MsgPack, 1000), Next::Batch(1));
        let next = out.next(&mut buf, Encoding::MsgPack, 1000);
        assert!(matches!(next, Next::Close(c) if c.code() == Some(close::BAD_FRAME)));
    }
}
