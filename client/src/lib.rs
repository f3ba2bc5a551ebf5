//! The resocket client: reconnects with jittered backoff, keeps an offline queue with
//! deadlines, resends unacknowledged publishes with their idempotency keys, runs acked
//! RPC with timeouts, and resumes every channel from its last position after a
//! reconnect, reporting an explicit reset when messages cannot be replayed.
//!
//! # Where the IO boundary is
//!
//! All of that logic lives in [`ClientCore`], a pure state machine: it never touches a
//! socket, never reads a clock and never draws from a global random number generator.
//! Time and the random seed are passed in. Drivers only move bytes, timers and events
//! between the core and the platform.
#![deny(missing_docs)]

pub mod core;

pub use crate::core::{
    Backoff, BackoffConfig, CallError, CallsOnDisconnect, ClientCore, CloseReason, Config,
    DisconnectReason, Event, Message, PublishAck, PublishError, QueueLimits, ResetReason,
    ServerError, SocketCommand, State, SubscribeError, SubscribedOutcome, Time,
};
pub use resocket_protocol as protocol;
pub use resocket_protocol::{Payload, Position, PresenceEvent, PresenceMember, RequestId};
