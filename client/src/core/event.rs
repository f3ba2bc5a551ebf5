//! What the core reports to the application and what it asks of the driver.

use std::time::Duration;

use resocket_protocol::{Payload, PayloadError, Position, PresenceEvent, RequestId};

use super::error::{CallError, PublishError, ServerError, SubscribeError};

/// The connection state as an application sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Not started: [`ClientCore::connect`](crate::ClientCore::connect) was never called.
    Idle,
    /// Opening a socket and handshaking, or waiting for the next attempt.
    Connecting,
    /// Connected and authenticated.
    Connected,
    /// Terminal until `connect` is called again: closed by the application, refused by
    /// the server, or out of reconnect attempts.
    Closed,
}

/// Why a connection was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The socket closed, with the close code and reason if there was a close frame.
    SocketClosed {
        /// WebSocket close code (`None` when the connection was cut).
        code: Option<u16>,
        /// Close reason.
        reason: String,
    },
    /// Nothing was received within the heartbeat timeout: the connection is dead.
    HeartbeatTimeout,
    /// Opening the socket or the handshake took longer than `connect_timeout`.
    ConnectTimeout,
    /// The server sent a `disconnect` frame.
    ServerAdvice {
        /// Close code.
        code: u16,
        /// Reason given by the server.
        reason: String,
    },
    /// The server sent bytes that are not valid frames.
    BadServerFrame(String),
}

/// Why the client entered the terminal `Closed` state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The application called `close`.
    ClosedByApplication,
    /// The server said not to reconnect (close code 41xx or `reconnect: false`).
    ServerRefused {
        /// Close code.
        code: u16,
        /// Reason given by the server.
        reason: String,
    },
    /// `max_reconnect_attempts` consecutive attempts failed.
    ReconnectAttemptsExhausted {
        /// Attempts made.
        attempts: u32,
    },
}

/// How a (re)subscription started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribedOutcome {
    /// First subscription: live messages from now on.
    Fresh,
    /// Resumed from the last position; `replayed` missed messages follow.
    Recovered {
        /// Messages replayed.
        replayed: u64,
    },
    /// The position was lost; a [`Event::Reset`] was emitted before this.
    Reset,
}

/// Why a channel's stream has a hole the application must repair.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResetReason {
    /// The server no longer has the messages after our position (history trimmed or a
    /// new epoch after the server lost its history).
    PositionLost {
        /// The position we asked to resume from.
        lost: Position,
    },
    /// A live message skipped offsets.
    Gap {
        /// The offset expected next.
        expected: u64,
        /// The offset received.
        received: u64,
    },
    /// A live message came from another epoch than the subscription's.
    EpochChanged,
}

/// A message delivered on a subscribed channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Channel name.
    pub channel: String,
    /// Position of this message.
    pub position: Position,
    /// Application bytes.
    pub payload: Payload,
    /// Who published it, if the server says.
    pub publisher: Option<String>,
}

impl Message {
    /// Decodes the payload as a typed MessagePack value.
    pub fn decode<T: for<'de> serde::Deserialize<'de>>(&self) -> Result<T, PayloadError> {
        self.payload.decode()
    }
}

/// A server's acknowledgement of a publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishAck {
    /// Position assigned to the message.
    pub position: Position,
    /// True if the server had already published this message id (a resend).
    pub duplicate: bool,
}

/// Something the application should know.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A connection attempt started (attempt 0 is the first after connecting or losing
    /// a connection).
    Connecting {
        /// Consecutive failed attempts so far.
        attempt: u32,
    },
    /// The session is open.
    Connected {
        /// Session id given by the server.
        session: String,
    },
    /// The connection was lost; `reconnect` says whether the core will retry.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
        /// Whether a reconnect will follow.
        reconnect: bool,
    },
    /// The next attempt will start after `delay`.
    ReconnectScheduled {
        /// Consecutive failed attempts so far.
        attempt: u32,
        /// Time until the attempt.
        delay: Duration,
    },
    /// Terminal state.
    Closed {
        /// Why.
        reason: CloseReason,
    },
    /// A channel was (re)subscribed.
    Subscribed {
        /// Channel name.
        channel: String,
        /// How it started.
        outcome: SubscribedOutcome,
    },
    /// A channel's subscription was refused or ended by the server; it is no longer
    /// subscribed.
    SubscribeFailed {
        /// Channel name.
        channel: String,
        /// Why.
        error: SubscribeError,
    },
    /// A message on a subscribed channel, in order and without duplicates.
    Message(Message),
    /// The channel missed messages that cannot be replayed: reload its state.
    Reset {
        /// Channel name.
        channel: String,
        /// Why.
        reason: ResetReason,
    },
    /// Presence snapshot or change.
    Presence {
        /// Channel name.
        channel: String,
        /// What changed.
        event: PresenceEvent,
    },
    /// A publish finished.
    Published {
        /// Id returned by `publish`.
        id: RequestId,
        /// The acknowledgement or the error.
        result: Result<PublishAck, PublishError>,
    },
    /// A call finished.
    CallDone {
        /// Id returned by `call`.
        id: RequestId,
        /// The reply or the error.
        result: Result<Payload, CallError>,
    },
    /// The server reported an error not tied to a request.
    ServerError(ServerError),
}

/// What the core asks the driver to do with the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketCommand {
    /// Open a WebSocket to the server, offering `subprotocol`, and report the outcome
    /// with `handle_socket_open` or `handle_socket_closed`.
    Open {
        /// The WebSocket subprotocol to offer.
        subprotocol: &'static str,
    },
    /// Close the current socket with this code and reason. The driver then drops it and
    /// reports nothing more about it.
    Close {
        /// WebSocket close code.
        code: u16,
        /// Close reason.
        reason: String,
    },
}
