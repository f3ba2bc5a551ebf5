//! Errors reported to callers of the core.

use resocket_protocol::{ErrorBody, PayloadError};

/// An error answered by the server to a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("server error {code}: {message}")]
pub struct ServerError {
    /// Code from [`resocket_protocol::codes::error`], or an application code (>= 1000).
    pub code: u16,
    /// Human-readable message.
    pub message: String,
}

impl From<ErrorBody> for ServerError {
    fn from(body: ErrorBody) -> Self {
        Self {
            code: body.code,
            message: body.message,
        }
    }
}

/// Why a publish failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The offline queue is full: nothing was queued. Retry later or raise
    /// [`QueueLimits`](crate::QueueLimits).
    #[error("offline queue is full ({items} items, {bytes} bytes)")]
    QueueFull {
        /// Items waiting.
        items: usize,
        /// Payload bytes waiting.
        bytes: usize,
    },
    /// The payload exceeds `max_payload_bytes`: nothing was queued.
    #[error("payload of {len} bytes exceeds the limit of {max}")]
    PayloadTooLarge {
        /// Payload size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The deadline passed before an acknowledgement. If the publish was still queued
    /// it was removed and will never be sent; if it was in flight it may have been
    /// published, and will not be sent again.
    #[error("publish timed out")]
    Timeout,
    /// The client was closed; the publish was not acknowledged and will not be sent.
    #[error("client is closed")]
    Closed,
    /// The server refused the publish (permission, rate limit, size).
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The value could not be encoded as a payload.
    #[error(transparent)]
    Payload(#[from] PayloadError),
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The offline queue is full: nothing was queued.
    #[error("offline queue is full ({items} items, {bytes} bytes)")]
    QueueFull {
        /// Items waiting.
        items: usize,
        /// Payload bytes waiting.
        bytes: usize,
    },
    /// The payload exceeds `max_payload_bytes`: nothing was queued.
    #[error("payload of {len} bytes exceeds the limit of {max}")]
    PayloadTooLarge {
        /// Payload size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// No reply before the deadline. A call still queued was removed and will never be
    /// sent.
    #[error("call timed out")]
    Timeout,
    /// The connection was lost before the reply (see
    /// [`CallsOnDisconnect`](crate::CallsOnDisconnect)); the call may or may not have run.
    #[error("connection lost before the reply")]
    Disconnected,
    /// The client was closed.
    #[error("client is closed")]
    Closed,
    /// The handler or the server returned an error.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The request could not be encoded, or the reply did not decode as the expected
    /// type.
    #[error(transparent)]
    Payload(#[from] PayloadError),
}

/// Why a subscribe or unsubscribe was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubscribeError {
    /// The channel is already subscribed by this client.
    #[error("channel `{0}` is already subscribed")]
    AlreadySubscribed(String),
    /// The channel is not subscribed by this client.
    #[error("channel `{0}` is not subscribed")]
    NotSubscribed(String),
    /// The client was closed.
    #[error("client is closed")]
    Closed,
    /// The server refused the subscription.
    #[error(transparent)]
    Server(#[from] ServerError),
}
