//! Encoding frames to bytes and decoding untrusted bytes back.
//!
//! One WebSocket message carries one or more frames. In MessagePack they are simply
//! concatenated; in JSON they are separated by a newline. Carrying many frames per
//! WebSocket message lets a server coalesce everything queued for a connection into one
//! send, which is what makes high message rates reachable in a browser (its WebSocket
//! stack tops out at a few tens of thousands of frames per second).
//!
//! Decoding never panics: every failure is a [`DecodeError`], and the input size and the
//! number of frames per message are bounded by [`DecodeLimits`] before any work is done.
//!
//! MessagePack is read and written by hand ([`WireFrame`], modules `msgpack` and `wire`),
//! straight from the message's bytes; JSON goes through serde_json (module `json`).

use crate::json;
use crate::msgpack::Reader;
use crate::WireFrame;

/// Wire encoding of a connection, chosen by WebSocket subprotocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Encoding {
    /// MessagePack in binary WebSocket messages (`resocket.v1.msgpack`). The default.
    #[default]
    MsgPack,
    /// JSON in text WebSocket messages (`resocket.v1.json`), payloads as base64.
    Json,
}

/// Subprotocol name of the MessagePack encoding.
pub const SUBPROTOCOL_MSGPACK: &str = "resocket.v1.msgpack";
/// Subprotocol name of the JSON encoding.
pub const SUBPROTOCOL_JSON: &str = "resocket.v1.json";

impl Encoding {
    /// The WebSocket subprotocol that selects this encoding.
    pub const fn subprotocol(self) -> &'static str {
        match self {
            Encoding::MsgPack => SUBPROTOCOL_MSGPACK,
            Encoding::Json => SUBPROTOCOL_JSON,
        }
    }

    /// The encoding a subprotocol name selects, if it is one of ours.
    pub fn from_subprotocol(name: &str) -> Option<Self> {
        match name.trim() {
            SUBPROTOCOL_MSGPACK => Some(Encoding::MsgPack),
            SUBPROTOCOL_JSON => Some(Encoding::Json),
            _ => None,
        }
    }

    /// Whether messages of this encoding travel as binary (else text) WebSocket messages.
    pub const fn is_binary(self) -> bool {
        matches!(self, Encoding::MsgPack)
    }

    /// Appends one encoded frame to `buf`, after a separator if `buf` already holds frames.
    pub fn encode_into<F: WireFrame>(self, frame: &F, buf: &mut Vec<u8>) {
        self.start_frame(buf);
        match self {
            Encoding::MsgPack => frame.write_msgpack(buf),
            Encoding::Json => json::encode_into(frame, buf),
        }
    }

    /// Encodes one frame into a new buffer.
    pub fn encode<F: WireFrame>(self, frame: &F) -> Vec<u8> {
        let mut buf = Vec::with_capacity(64);
        self.encode_into(frame, &mut buf);
        buf
    }

    /// Appends an already encoded frame (or batch of frames) to `buf`, so that bytes
    /// encoded once can be coalesced into many connections' messages.
    pub fn append_encoded(self, encoded: &[u8], buf: &mut Vec<u8>) {
        self.start_frame(buf);
        buf.extend_from_slice(encoded);
    }

    fn start_frame(self, buf: &mut Vec<u8>) {
        if self == Encoding::Json && !buf.is_empty() {
            buf.push(b'\n');
        }
    }

    /// Decodes every frame in one WebSocket message.
    pub fn decode<F: WireFrame>(
        self,
        bytes: &[u8],
        limits: DecodeLimits,
    ) -> Result<Vec<F>, DecodeError> {
        let mut frames = Vec::new();
        self.decode_each(bytes, limits, |f| frames.push(f))?;
        Ok(frames)
    }

    /// Decodes every frame in one WebSocket message, handing each to `sink` as soon as it
    /// is decoded. On error, frames before the bad one have been handed over.
    pub fn decode_each<F: WireFrame>(
        self,
        bytes: &[u8],
        limits: DecodeLimits,
        mut sink: impl FnMut(F),
    ) -> Result<usize, DecodeError> {
        if bytes.len() > limits.max_message_bytes {
            return Err(DecodeError::TooLarge {
                len: bytes.len(),
                max: limits.max_message_bytes,
            });
        }
        let mut count = 0usize;
        match self {
            Encoding::MsgPack => {
                let mut reader = Reader::new(bytes);
                while !reader.is_empty() {
                    count = next_count(count, limits)?;
                    sink(F::read_msgpack(&mut reader)?);
                }
            }
            Encoding::Json => count = json::decode_each(bytes, limits, &mut sink)?,
        }
        if count == 0 {
            return Err(DecodeError::Empty);
        }
        Ok(count)
    }
}

pub(crate) fn next_count(count: usize, limits: DecodeLimits) -> Result<usize, DecodeError> {
    if count >= limits.max_frames {
        return Err(DecodeError::TooManyFrames {
            max: limits.max_frames,
        });
    }
    Ok(count + 1)
}

/// Bounds applied before and while decoding one WebSocket message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted message, in bytes.
    pub max_message_bytes: usize,
    /// Most frames accepted in one message.
    pub max_frames: usize,
}

impl Default for DecodeLimits {
    /// 1 MiB and 65,536 frames.
    fn default() -> Self {
        Self {
            max_message_bytes: 1 << 20,
            max_frames: 1 << 16,
        }
    }
}

/// Why bytes could not be decoded into frames.
///
/// A server answers these with an error frame or a close with code
/// [`close::BAD_FRAME`](crate::codes::close::BAD_FRAME); a client treats them as a
/// broken connection and reconnects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The message is larger than allowed; it was not parsed at all.
    #[error("message of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Size of the message.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The message holds more frames than allowed.
    #[error("message holds more than {max} frames")]
    TooManyFrames {
        /// The limit.
        max: usize,
    },
    /// The message holds no frame at all.
    #[error("message is empty")]
    Empty,
    /// The message ends in the middle of a frame.
    #[error("message is truncated")]
    Truncated,
    /// A JSON message is not valid UTF-8.
    #[error("JSON message is not valid UTF-8")]
    NotUtf8,
    /// The frame names a type this version does not know.
    #[error("unknown frame type `{0}`")]
    UnknownFrameType(String),
    /// The bytes are not a valid frame.
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// Something this build of the crate leaves out (see the crate's features).
    #[error("{0} is not built in")]
    Unsupported(&'static str),
}
