//! Opaque application payloads.

use std::fmt;

use base64::Engine as _;
use bytes::Bytes;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Application bytes carried by publishes, deliveries, calls and replies.
///
/// The protocol never looks inside a payload, so a server can fan one publish out to
/// many subscribers by encoding the delivery frame once and sending the same bytes to
/// all of them. Cloning is cheap (reference-counted).
///
/// On the wire a payload is a MessagePack `bin` in binary frames and a standard base64
/// string in JSON frames. The typed helpers [`Payload::encode`] and [`Payload::decode`]
/// put a `serde` value inside as MessagePack.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Payload(pub Bytes);

impl Payload {
    /// Wraps raw bytes.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self(bytes.into())
    }

    /// Encodes a typed value as MessagePack (maps with field names).
    pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Self, PayloadError> {
        rmp_serde::to_vec_named(value)
            .map(|v| Self(Bytes::from(v)))
            .map_err(|e| PayloadError(e.to_string()))
    }

    /// Decodes a typed value from MessagePack bytes.
    pub fn decode<T: for<'de> Deserialize<'de>>(&self) -> Result<T, PayloadError> {
        rmp_serde::from_slice(&self.0).map_err(|e| PayloadError(e.to_string()))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the payload has no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Payload({} bytes)", self.0.len())
    }
}

impl From<Vec<u8>> for Payload {
    fn from(v: Vec<u8>) -> Self {
        Self(Bytes::from(v))
    }
}

impl From<&'static [u8]> for Payload {
    fn from(v: &'static [u8]) -> Self {
        Self(Bytes::from_static(v))
    }
}

impl From<Bytes> for Payload {
    fn from(v: Bytes) -> Self {
        Self(v)
    }
}

/// A payload could not be converted to or from a typed value.
///
/// The message says which field or type did not match; the caller should treat the
/// payload as foreign (sent by a different version of the application).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payload does not match the expected type: {0}")]
pub struct PayloadError(pub String);

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PayloadVisitor;
        impl<'de> Visitor<'de> for PayloadVisitor {
            type Value = Payload;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("binary payload or base64 string")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Payload, E> {
                Ok(Payload(Bytes::copy_from_slice(v)))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Payload, E> {
                Ok(Payload(Bytes::from(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Payload, E> {
                base64::engine::general_purpose::STANDARD
                    .decode(v)
                    .map(|b| Payload(Bytes::from(b)))
                    .map_err(|_| E::custom("payload is not valid base64"))
            }
        }
        if d.is_human_readable() {
            d.deserialize_str(PayloadVisitor)
        } else {
            d.deserialize_bytes(PayloadVisitor)
        }
    }
}
