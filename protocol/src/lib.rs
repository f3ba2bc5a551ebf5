//! Wire types of the resocket real-time protocol, shared by client and server.
//!
//! This crate does no IO: it turns [`ClientFrame`]s and [`ServerFrame`]s into bytes and
//! untrusted bytes back into frames. Sockets belong to the `resocket` client drivers and
//! to `resocket-server`.
//!
//! * Frames: [`ClientFrame`], [`ServerFrame`] and the types they carry.
//! * Encodings: [`Encoding::MsgPack`] (binary, the default) and [`Encoding::Json`]
//!   (text), chosen by WebSocket subprotocol ([`SUBPROTOCOL_MSGPACK`],
//!   [`SUBPROTOCOL_JSON`]). One WebSocket message may carry several frames.
//! * Payloads are opaque [`Payload`] bytes so one publish can be encoded once and fanned
//!   out; [`Payload::encode`]/[`Payload::decode`] put typed `serde` values inside.
//! * Decoding is bounded by [`DecodeLimits`] and fails with a typed [`DecodeError`],
//!   never a panic.
//! * Close and error codes: [`codes`].
//!
//! The frames, an example of each, and the reconnect/resync/dedup contract are documented
//! in `docs/PROTOCOL.md` at the repository root.
#![deny(missing_docs)]

mod codec;
pub mod codes;
mod frames;
mod json;
// Used only with `json-text` alone (see json.rs); its base64 helper is used always.
#[cfg_attr(any(feature = "json", not(feature = "json-text")), allow(dead_code))]
mod json_text;
mod msgpack;
mod payload;
mod wire;

pub use codec::{DecodeError, DecodeLimits, Encoding, SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK};
pub use frames::{
    CallResult, ClientFrame, ClientInfo, ErrorBody, Position, PresenceEvent, PresenceMember,
    RequestId, ServerFrame, SubscribeOutcome,
};
pub use payload::{Payload, PayloadError};
pub use wire::WireFrame;

/// Version of the protocol spoken by this crate, sent in [`ClientFrame::Connect`].
pub const PROTOCOL_VERSION: u32 = 1;
