//! One connection's end of a channel subscription.
//!
//! A [`ChannelFeed`] is registered with the engine before the connection has written
//! `subscribed` and the replayed history, so live events can arrive while those are
//! still being queued. The feed holds them back until [`ChannelFeed::open`] is called
//! with the offset the replay ended at, then releases them in order, dropping any
//! message at or below that offset. The client therefore sees `subscribed`, the replay,
//! the presence snapshot, then live messages — each offset exactly once.

use std::sync::{Arc, Mutex, MutexGuard};

use resocket_protocol::codes::close;
use resocket_protocol::Encoding;

use crate::engine::{ChannelSubscriber, SharedFrame};
use crate::outbox::{Closing, Outbox};

enum Gate {
    /// Subscribed but not yet announced to the client: hold live events.
    Pending(Vec<Arc<SharedFrame>>),
    /// Live: forward events after this offset.
    Open { replayed_through: u64 },
    /// Unsubscribed: drop everything.
    Closed,
}

/// Forwards a channel's live events into a connection's outbox. See the
/// [module docs](self).
pub(crate) struct ChannelFeed {
    outbox: Arc<Outbox>,
    encoding: Encoding,
    max_pending: usize,
    gate: Mutex<Gate>,
}

impl ChannelFeed {
    pub(crate) fn new(outbox: Arc<Outbox>, encoding: Encoding, max_pending: usize) -> Self {
        Self {
            outbox,
            encoding,
            max_pending,
            gate: Mutex::new(Gate::Pending(Vec::new())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Gate> {
        self.gate.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn forward(&self, frame: &SharedFrame, replayed_through: u64) {
        if frame
            .offset()
            .is_some_and(|offset| offset <= replayed_through)
        {
            return;
        }
        self.outbox.push(frame.encoded(self.encoding));
    }

    /// Releases held events and goes live. Call after queueing `subscribed` and the
    /// replay that ended at `replayed_through`.
    pub(crate) fn open(&self, replayed_through: u64) {
        let mut gate = self.lock();
        if let Gate::Pending(held) = &*gate {
            for frame in held {
                self.forward(frame, replayed_through);
            }
            *gate = Gate::Open { replayed_through };
        }
    }

    /// Stops forwarding for good.
    pub(crate) fn close(&self) {
        *self.lock() = Gate::Closed;
    }
}

impl ChannelSubscriber for ChannelFeed {
    fn deliver(&self, frame: &Arc<SharedFrame>) {
        let mut gate = self.lock();
        match &mut *gate {
            Gate::Pending(held) if held.len() >= self.max_pending => {
                *gate = Gate::Closed;
                drop(gate);
                self.outbox.close(Closing::disconnect(
                    close::SLOW_CONSUMER,
                    "too many messages while subscribing",
                ));
            }
            Gate::Pending(held) => held.push(frame.clone()),
            Gate::Open { replayed_through } => self.forward(frame, *replayed_through),
            Gate::Closed => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::{Next, OutboxLimits};
    use resocket_protocol::{Payload, ServerFrame};

    fn message(offset: u64) -> Arc<SharedFrame> {
        SharedFrame::new(ServerFrame::Message {
            channel: "c".into(),
            epoch: "e".into(),
            offset,
            payload: Payload::default(),
            publisher: None,
        })
    }

    fn drained_offsets(outbox: &Outbox) -> Vec<u64> {
        let mut buf = Vec::new();
        let mut offsets = Vec::new();
        while let Next::Batch(_) = outbox.next(&mut buf, Encoding::Json, 1) {
            let frame: ServerFrame = serde_json::from_slice(&buf).unwrap();
            if let ServerFrame::Message { offset, .. } = frame {
                offsets.push(offset);
            }
        }
        offsets
    }

    #[test]
    fn holds_live_events_until_open_and_drops_replayed_offsets() {
        let outbox = Arc::new(Outbox::new(OutboxLimits {
            max_frames: 100,
            max_bytes: 1 << 20,
        }));
        let feed = ChannelFeed::new(outbox.clone(), Encoding::Json, 100);
        feed.deliver(&message(3));
        feed.deliver(&message(4));
        assert!(drained_offsets(&outbox).is_empty());
        feed.open(3);
        feed.deliver(&message(5));
        feed.deliver(&message(2));
        assert_eq!(drained_offsets(&outbox), vec![4, 5]);
        feed.close();
        feed.deliver(&message(6));
        assert!(drained_offsets(&outbox).is_empty());
    }
}
