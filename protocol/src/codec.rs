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

use serde::de::DeserializeOwned;
use serde::Serialize;

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
    pub fn encode_into<F: Serialize>(self, frame: &F, buf: &mut Vec<u8>) {
        self.start_frame(buf);
        // Serializing our frame types into a Vec cannot fail: every key is a string and
        // every value a plain scalar, string, bytes or sequence.
        match self {
            Encoding::MsgPack => {
                let mut ser = rmp_serde::Serializer::new(&mut *buf).with_struct_map();
                frame
                    .serialize(&mut ser)
                    .expect("frame serializes to MessagePack");
            }
            Encoding::Json => {
                serde_json::to_writer(&mut *buf, frame).expect("frame serializes to JSON")
            }
        }
    }

    /// Encodes one frame into a new buffer.
    pub fn encode<F: Serialize>(self, frame: &F) -> Vec<u8> {
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
    pub fn decode<F: DeserializeOwned>(
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
    pub fn decode_each<F: DeserializeOwned>(
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
                // A `Read` over the slice: it advances as frames are consumed, and reads of
                // a claimed length grow their buffer only as far as the bytes really go.
                let mut rest = bytes;
                let mut de = rmp_serde::Deserializer::new(&mut rest);
                de.set_max_depth(MAX_MSGPACK_DEPTH);
                while !de.get_ref().is_empty() {
                    count = next_count(count, limits)?;
                    let frame = F::deserialize(&mut de).map_err(msgpack_error)?;
                    sink(frame);
                }
            }
            Encoding::Json => {
                let text = std::str::from_utf8(bytes).map_err(|_| DecodeError::NotUtf8)?;
                for frame in serde_json::Deserializer::from_str(text).into_iter::<F>() {
                    count = next_count(count, limits)?;
                    sink(frame.map_err(json_error)?);
                }
            }
        }
        if count == 0 {
            return Err(DecodeError::Empty);
        }
        Ok(count)
    }
}

/// Deepest nesting of MessagePack arrays, maps and extension values accepted in a frame.
///
/// Frames nest six levels at most; the rest is headroom for values a newer peer may put
/// in fields this version ignores. rmp-serde recurses once per level and its own default
/// limit (1024) is deeper than a 2 MiB thread stack holds in a debug build, so without
/// this bound less than a kilobyte of nested arrays aborts the process with a stack
/// overflow. JSON needs no such bound: serde_json limits nesting to 128 and skips ignored
/// values without recursing.
const MAX_MSGPACK_DEPTH: usize = 128;

fn next_count(count: usize, limits: DecodeLimits) -> Result<usize, DecodeError> {
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
}

fn unknown_variant(message: &str) -> Option<DecodeError> {
    let rest = message.strip_prefix("unknown variant `")?;
    let name = rest.split('`').next().unwrap_or_default();
    Some(DecodeError::UnknownFrameType(
        name.chars().take(64).collect(),
    ))
}

fn msgpack_error(e: rmp_serde::decode::Error) -> DecodeError {
    use rmp_serde::decode::Error as E;
    match &e {
        E::InvalidMarkerRead(io) | E::InvalidDataRead(io)
            if io.kind() == std::io::ErrorKind::UnexpectedEof =>
        {
            DecodeError::Truncated
        }
        E::Syntax(msg) => {
            unknown_variant(msg).unwrap_or_else(|| DecodeError::Malformed(e.to_string()))
        }
        _ => DecodeError::Malformed(e.to_string()),
    }
}

fn json_error(e: serde_json::Error) -> DecodeError {
    if e.is_eof() {
        return DecodeError::Truncated;
    }
    unknown_variant(&e.to_string()).unwrap_or_else(|| DecodeError::Malformed(e.to_string()))
}
