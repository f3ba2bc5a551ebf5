//! Numeric codes: WebSocket close codes and error-frame codes.
//!
//! Close codes live in the 4000–4999 range reserved for applications (RFC 6455 §7.4.2),
//! grouped by what the client should do: `40xx` reconnect with backoff, `41xx` do not
//! reconnect. Error codes in [`ServerFrame::Error`](crate::ServerFrame::Error) and in
//! call replies are `u16`: below 1000 they are the protocol's own, from 1000 up they
//! belong to the application's RPC handlers.

/// WebSocket close codes used by resocket servers.
pub mod close {
    /// Normal closure (RFC 6455). Sent when the client asked to close.
    pub const NORMAL: u16 = 1000;
    /// The server is going away (shutdown); a [`Disconnect`](crate::ServerFrame::Disconnect)
    /// frame with a retry-after hint precedes it. Reconnect.
    pub const GOING_AWAY: u16 = 1001;

    /// The server restarts or drains this node; reconnect after the advised delay.
    pub const SHUTDOWN: u16 = 4000;
    /// The connection missed its heartbeat; reconnect.
    pub const HEARTBEAT_TIMEOUT: u16 = 4001;
    /// The client did not read fast enough and its outbound buffer overflowed; reconnect
    /// and resync from history.
    pub const SLOW_CONSUMER: u16 = 4002;
    /// The client exceeded a rate limit; reconnect after the advised delay.
    pub const RATE_LIMITED: u16 = 4003;
    /// The client sent a frame that could not be decoded; reconnect (a fresh connection
    /// starts from a clean state).
    pub const BAD_FRAME: u16 = 4004;
    /// A frame exceeded the server's maximum frame size.
    pub const FRAME_TOO_LARGE: u16 = 4005;
    /// The first frame was not `connect`, or `connect` arrived twice.
    pub const PROTOCOL_VIOLATION: u16 = 4006;

    /// Authentication failed; do not reconnect until the application has a new token.
    pub const UNAUTHORIZED: u16 = 4100;
    /// The client speaks a protocol version the server does not; do not reconnect.
    pub const UNSUPPORTED_PROTOCOL: u16 = 4101;
    /// The server asked the client to go away for good (e.g. banned); do not reconnect.
    pub const FORBIDDEN: u16 = 4103;

    /// Whether a client should reconnect after this close code.
    pub fn should_reconnect(code: u16) -> bool {
        !(4100..4200).contains(&code)
    }
}

/// Error codes carried by error frames and call replies.
pub mod error {
    /// The request was malformed (bad channel name, missing field).
    pub const BAD_REQUEST: u16 = 100;
    /// The identity is not allowed to do this (subscribe, publish, call).
    pub const PERMISSION_DENIED: u16 = 103;
    /// The connection already has the maximum number of subscriptions.
    pub const TOO_MANY_SUBSCRIPTIONS: u16 = 104;
    /// Too many requests; slow down.
    pub const RATE_LIMITED: u16 = 105;
    /// No RPC handler is registered under that method name.
    pub const METHOD_NOT_FOUND: u16 = 106;
    /// The channel is already subscribed on this connection.
    pub const ALREADY_SUBSCRIBED: u16 = 107;
    /// The channel is not subscribed on this connection.
    pub const NOT_SUBSCRIBED: u16 = 108;
    /// A payload was larger than the server accepts.
    pub const PAYLOAD_TOO_LARGE: u16 = 109;
    /// The server failed while handling the request.
    pub const INTERNAL: u16 = 110;
    /// The request could not be decoded.
    pub const BAD_FRAME: u16 = 111;
    /// The handler did not answer within the server's limit.
    pub const HANDLER_TIMEOUT: u16 = 112;
    /// First code available to application RPC handlers.
    pub const APPLICATION_BASE: u16 = 1000;
}
