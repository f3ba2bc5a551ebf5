//! The engine: where channel state lives.
//!
//! An [`Engine`] assigns offsets, keeps bounded history, deduplicates publishes by
//! `msg_id`, tracks presence, and fans live events out to subscribers. The connection
//! code only talks to this trait, so a shared engine (e.g. Redis) can replace the
//! embedded [`MemoryEngine`] without touching it.
//!
//! Live events reach a connection through its [`ChannelSubscriber`], as
//! [`SharedFrame`]s: a frame that is encoded at most once per wire encoding however many
//! connections it goes to.
//!
//! # Ordering contract
//!
//! * Messages of one channel are delivered to every subscriber in offset order.
//! * [`Engine::subscribe`] returns the channel's latest offset at subscription time; the
//!   subscriber is then sent every message with a higher offset. An engine that cannot
//!   register the subscriber and read the offset atomically may also deliver messages at
//!   or below that offset; the receiving side drops those, so replay and live stream
//!   neither overlap nor leave a gap.
//! * Presence events delivered after `subscribe` returns describe changes after the
//!   returned snapshot.

mod memory;

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use bytes::Bytes;
use resocket_protocol::{Encoding, Payload, Position, PresenceMember, ServerFrame};

pub use memory::{MemoryEngine, MemoryEngineConfig};

/// A server frame shared by many connections, encoded lazily and at most once per
/// encoding.
///
/// A publish to N subscribers builds one `SharedFrame`; the first MessagePack subscriber
/// encodes it, the first JSON subscriber encodes it again, and everyone else gets a
/// clone of the same [`Bytes`].
#[derive(Debug)]
pub struct SharedFrame {
    frame: ServerFrame,
    msgpack: OnceLock<Bytes>,
    json: OnceLock<Bytes>,
}

impl SharedFrame {
    /// Wraps a frame for fan-out.
    pub fn new(frame: ServerFrame) -> Arc<Self> {
        Arc::new(Self {
            frame,
            msgpack: OnceLock::new(),
            json: OnceLock::new(),
        })
    }

    /// The frame itself.
    pub fn frame(&self) -> &ServerFrame {
        &self.frame
    }

    /// The channel offset, when this is a `message` frame.
    pub fn offset(&self) -> Option<u64> {
        match &self.frame {
            ServerFrame::Message { offset, .. } => Some(*offset),
            _ => None,
        }
    }

    /// The frame's bytes in `encoding`, encoding them on first use.
    pub fn encoded(&self, encoding: Encoding) -> Bytes {
        let cell = match encoding {
            Encoding::MsgPack => &self.msgpack,
            Encoding::Json => &self.json,
        };
        cell.get_or_init(|| Bytes::from(encoding.encode(&self.frame)))
            .clone()
    }
}

/// Receives a channel's live events on behalf of one connection.
///
/// Engines call [`deliver`](Self::deliver) while holding channel state, so it must not
/// block or call back into the engine: queue and return.
pub trait ChannelSubscriber: Send + Sync {
    /// One live event (a `message` or `presence` frame) of the channel, in order.
    fn deliver(&self, frame: &Arc<SharedFrame>);
}

/// Identifies one subscriber (one connection) to the engine. Unique per server process.
pub type SubscriberId = u64;

/// A connection's subscription as registered with the engine.
#[derive(Clone)]
pub struct Subscriber {
    /// The connection's id.
    pub id: SubscriberId,
    /// How the connection appears in the channel's presence set.
    pub member: PresenceMember,
    /// Where live events go.
    pub sink: Arc<dyn ChannelSubscriber>,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("id", &self.id)
            .field("member", &self.member)
            .finish_non_exhaustive()
    }
}

/// A publish as handed to the engine.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    /// Channel name (already validated).
    pub channel: String,
    /// Idempotency key; an empty key disables deduplication for this publish.
    pub msg_id: String,
    /// Application bytes.
    pub payload: Payload,
    /// Session or user shown to subscribers as the publisher.
    pub publisher: Option<String>,
}

/// Where a publish was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishReceipt {
    /// Epoch the message belongs to.
    pub epoch: String,
    /// Offset of the message (of the first publish, for a duplicate).
    pub offset: u64,
    /// True when `msg_id` was seen within the dedup window and nothing was published.
    pub duplicate: bool,
}

/// What a client can get back from history for a position it presents.
#[derive(Debug, Clone)]
pub enum Recovery {
    /// No position was presented.
    Fresh,
    /// Every message after the position is still in history: here they are, in order.
    Recovered(Vec<Arc<SharedFrame>>),
    /// The position belongs to another epoch, lies beyond the latest offset, or history
    /// was trimmed past it.
    Reset,
}

/// A channel's history read relative to a position.
#[derive(Debug, Clone)]
pub struct HistoryRead {
    /// The channel's current epoch.
    pub epoch: String,
    /// The channel's latest offset (0 when nothing was published in this epoch).
    pub offset: u64,
    /// What the position recovers.
    pub recovery: Recovery,
}

/// The state of a channel at the moment a subscriber was registered.
#[derive(Debug, Clone)]
pub struct SubscribeSnapshot {
    /// History relative to the presented position, and the latest offset.
    pub history: HistoryRead,
    /// The presence set, including the new subscriber.
    pub presence: Vec<PresenceMember>,
}

/// An engine could not do what was asked.
///
/// Connections answer these with an `INTERNAL` error frame and carry on; the client may
/// retry the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The backing store could not be reached or failed.
    #[error("engine unavailable: {0}")]
    Unavailable(String),
}

/// Channel storage and fan-out behind a server. See the [module docs](self) for the
/// ordering contract every implementation keeps.
#[async_trait]
pub trait Engine: Send + Sync + 'static {
    /// Publishes a message unless its `msg_id` was seen on the channel within the dedup
    /// window, in which case the first publish's position is returned with
    /// `duplicate: true` and nothing is delivered. A new message gets the next offset,
    /// is stored in history and is delivered to every subscriber of the channel.
    async fn publish(&self, request: PublishRequest) -> Result<PublishReceipt, EngineError>;

    /// Registers `subscriber` for live events of `channel`, adds its member to the
    /// presence set (announcing a `join` to the other subscribers), and reads history
    /// after `since`.
    async fn subscribe(
        &self,
        channel: &str,
        since: Option<&Position>,
        subscriber: Subscriber,
    ) -> Result<SubscribeSnapshot, EngineError>;

    /// Removes a subscriber and its presence (announcing a `leave` to the remaining
    /// subscribers). Unknown subscribers are ignored.
    async fn unsubscribe(&self, channel: &str, subscriber: SubscriberId)
        -> Result<(), EngineError>;

    /// Reads history after `since` without subscribing.
    async fn history(
        &self,
        channel: &str,
        since: Option<&Position>,
    ) -> Result<HistoryRead, EngineError>;

    /// The channel's current presence set.
    async fn presence(&self, channel: &str) -> Result<Vec<PresenceMember>, EngineError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_frame_is_encoded_once_per_encoding() {
        let frame = SharedFrame::new(ServerFrame::Message {
            channel: "c".into(),
            epoch: "e".into(),
            offset: 1,
            payload: Payload::from(vec![1, 2, 3]),
            publisher: None,
        });
        let first = frame.encoded(Encoding::MsgPack);
        let again = frame.encoded(Encoding::MsgPack);
        assert_eq!(
            first.as_ptr(),
            again.as_ptr(),
            "the same bytes, not a new encoding"
        );
        let json = frame.encoded(Encoding::Json);
        assert_ne!(json, first);
        assert_eq!(json.as_ptr(), frame.encoded(Encoding::Json).as_ptr());
        let decoded: ServerFrame = Encoding::Json
            .decode(&json, Default::default())
            .unwrap()
            .remove(0);
        assert_eq!(&decoded, frame.frame());
    }
}
