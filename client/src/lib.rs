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
//!
//! [`Client`] is the handle applications use, the same API on every target: on native
//! targets the driver runs on tokio with tokio-tungstenite, in the browser on the page's
//! event loop with `web_sys::WebSocket`. The one driver loop (module `driver`) is shared;
//! the per-platform code (module `platform`) only opens sockets, sleeps and reads the
//! clock.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use futures_util::StreamExt;
//! use resocket::{ChannelEvent, Client, Config};
//!
//! let client = Client::connect("ws://127.0.0.1:8080/ws", Config::default());
//! let mut room = client.subscribe("room:lobby");
//! client.publish("room:lobby", &"hello").await?;
//! while let Some(event) = room.next().await {
//!     match event {
//!         ChannelEvent::Message(m) => println!("{}", m.decode::<String>()?),
//!         ChannelEvent::Reset(_) => { /* reload the room's state */ }
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod client;
pub mod core;
mod driver;
mod platform;

pub use crate::client::{Client, EventStream, Subscription};
pub use crate::driver::ChannelEvent;
pub use crate::driver::ConnectionStatus;

pub use crate::core::{
    Backoff, BackoffConfig, CallError, CallsOnDisconnect, ClientCore, CloseReason, Config,
    DisconnectReason, Event, Message, PublishAck, PublishError, QueueLimits, ResetReason,
    ServerError, SocketCommand, State, SubscribeError, SubscribedOutcome, Time,
};
pub use resocket_protocol as protocol;
pub use resocket_protocol::{Payload, Position, PresenceEvent, PresenceMember, RequestId};
