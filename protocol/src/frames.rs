//! The frames exchanged over one WebSocket connection.
//!
//! Every request a client sends carries a [`RequestId`] chosen by the client; the server
//! answers it with exactly one frame naming the same id (`subscribed`, `unsubscribed`,
//! `publish_ack`, `reply`, or `error`). Ids are unique for the life of a client, across
//! reconnects.

use serde::{Deserialize, Serialize};

use crate::Payload;

/// Client-chosen id of one request, unique for the life of the client.
pub type RequestId = u64;

/// A position in a channel's history: the last message a client has seen.
///
/// `epoch` names one continuous history. A server whose history was lost (an in-memory
/// engine restarted) starts a new epoch, so positions from an older epoch are known to
/// be gone. `offset` increases by one with every message published in the epoch; the
/// first message has offset 1, so offset 0 means "nothing yet".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Position {
    /// Identifies one continuous history of the channel.
    pub epoch: String,
    /// Offset of the last message seen.
    pub offset: u64,
}

/// Who the client is, for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClientInfo {
    /// Library or application name, e.g. `resocket-rs`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// A frame sent by a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientFrame {
    /// The first frame of every connection. Tokens travel here, never in the URL, so
    /// they do not end up in proxy logs.
    Connect {
        /// Protocol version the client speaks ([`crate::PROTOCOL_VERSION`]).
        version: u32,
        /// Credential passed to the server's auth hook.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// Client library name and version.
        client: ClientInfo,
        /// Session id of the previous connection, when this is a reconnect.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resume: Option<String>,
    },
    /// Subscribe to a channel, optionally resuming after a position.
    Subscribe {
        /// Request id.
        id: RequestId,
        /// Channel name.
        channel: String,
        /// Last position seen; the server replays what came after it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<Position>,
    },
    /// Stop receiving a channel.
    Unsubscribe {
        /// Request id.
        id: RequestId,
        /// Channel name.
        channel: String,
    },
    /// Publish a message to a channel.
    Publish {
        /// Request id.
        id: RequestId,
        /// Channel name.
        channel: String,
        /// Idempotency key chosen by the client. The server publishes a given key once
        /// per channel within its dedup window and acks repeats with the first offset.
        msg_id: String,
        /// Application bytes.
        payload: Payload,
    },
    /// Invoke an RPC handler.
    Call {
        /// Request id.
        id: RequestId,
        /// Handler name.
        method: String,
        /// Application bytes.
        payload: Payload,
    },
    /// Application-level ping; the server answers with `pong`.
    Ping {},
    /// Answer to a server `ping`.
    Pong {},
}

/// How a subscription started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscribeOutcome {
    /// No position was given: the subscription starts at the current offset.
    Fresh,
    /// The position was found: `replayed` messages after it follow this frame, in order,
    /// before any live message.
    Recovered {
        /// Number of messages replayed.
        replayed: u64,
    },
    /// The position is gone (history trimmed or a new epoch): the client missed messages
    /// it cannot get back and should reload the channel's state.
    Reset,
}

/// One member of a channel's presence set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PresenceMember {
    /// Session id of the connection.
    pub session: String,
    /// Authenticated user, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// A change of a channel's presence set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceEvent {
    /// The whole set, sent after every (re)subscribe.
    Snapshot {
        /// Members at the time of subscribing.
        members: Vec<PresenceMember>,
    },
    /// A member joined.
    Join {
        /// Who joined.
        member: PresenceMember,
    },
    /// A member left.
    Leave {
        /// Who left.
        member: PresenceMember,
    },
}

/// A typed error: a code ([`crate::codes::error`]) and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable code.
    pub code: u16,
    /// Human-readable message.
    pub message: String,
}

/// The result of an RPC call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallResult {
    /// The handler returned a value.
    Ok(Payload),
    /// The handler (or the server) returned an error.
    Err(ErrorBody),
}

/// A frame sent by a server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerFrame {
    /// Answer to `connect`: the session is open.
    Connected {
        /// Id of this session (used as `resume` on the next connect).
        session: String,
        /// The server sends `ping` every `ping_interval_ms`.
        ping_interval_ms: u64,
        /// A peer silent for longer than this is considered dead.
        ping_timeout_ms: u64,
        /// Authenticated user, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<String>,
    },
    /// Answer to `subscribe`.
    Subscribed {
        /// Request id.
        id: RequestId,
        /// Channel name.
        channel: String,
        /// Current epoch of the channel.
        epoch: String,
        /// The channel's latest offset when the subscription started. For a recovered
        /// subscription the replayed messages are those after `since` up to this offset;
        /// live messages follow with higher offsets.
        offset: u64,
        /// Whether the position was recovered, reset, or absent.
        outcome: SubscribeOutcome,
    },
    /// Answer to `unsubscribe`.
    Unsubscribed {
        /// Request id.
        id: RequestId,
        /// Channel name.
        channel: String,
    },
    /// Answer to `publish`.
    PublishAck {
        /// Request id.
        id: RequestId,
        /// Epoch the message was stored in.
        epoch: String,
        /// Offset assigned to the message.
        offset: u64,
        /// True when the `msg_id` was seen before and this acks the earlier publish.
        #[serde(default)]
        duplicate: bool,
    },
    /// A message published on a subscribed channel.
    Message {
        /// Channel name.
        channel: String,
        /// Epoch of the channel.
        epoch: String,
        /// Offset of this message.
        offset: u64,
        /// Application bytes.
        payload: Payload,
        /// Session or user that published it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        publisher: Option<String>,
    },
    /// Answer to `call`.
    Reply {
        /// Request id.
        id: RequestId,
        /// The handler's result or error.
        result: CallResult,
    },
    /// Presence snapshot or delta for a subscribed channel.
    Presence {
        /// Channel name.
        channel: String,
        /// What changed.
        event: PresenceEvent,
    },
    /// Application-level ping; the client answers with `pong`.
    Ping {},
    /// Answer to a client `ping`.
    Pong {},
    /// A request failed, or the connection did something wrong.
    Error {
        /// Machine-readable code ([`crate::codes::error`]).
        code: u16,
        /// Human-readable message.
        message: String,
        /// The request this refers to, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<RequestId>,
    },
    /// The server is about to close the connection, and says whether and when to come
    /// back. Always followed by a WebSocket close with the same code.
    Disconnect {
        /// Close code ([`crate::codes::close`]).
        code: u16,
        /// Human-readable reason.
        reason: String,
        /// Whether the client should reconnect.
        reconnect: bool,
        /// Wait at least this long before reconnecting.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
}
