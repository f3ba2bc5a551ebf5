//! The JSON encoding: through serde_json with the `json` feature (on by default), else
//! through the small transcoder in `json_text` with the `json-text` feature, else not at
//! all.

#[cfg(all(not(feature = "json"), feature = "json-text"))]
pub(crate) use crate::json_text::{decode_each, encode_into};

#[cfg(not(any(feature = "json", feature = "json-text")))]
pub(crate) use without_json::{decode_each, encode_into};

#[cfg(not(any(feature = "json", feature = "json-text")))]
mod without_json {
    use crate::{DecodeError, DecodeLimits, WireFrame};

    /// Writes nothing: a build without JSON never configures it (a peer asking for it
    /// gets the error below).
    pub(crate) fn encode_into<F: WireFrame>(_frame: &F, _buf: &mut Vec<u8>) {}

    pub(crate) fn decode_each<F: WireFrame>(
        _bytes: &[u8],
        _limits: DecodeLimits,
        _sink: &mut impl FnMut(F),
    ) -> Result<usize, DecodeError> {
        Err(DecodeError::Unsupported("the JSON encoding"))
    }
}

#[cfg(feature = "json")]
pub(crate) use serde_json_codec::{decode_each, encode_into};

#[cfg(feature = "json")]
mod serde_json_codec {
    use crate::codec::next_count;
    use crate::{DecodeError, DecodeLimits, WireFrame};

    pub(crate) fn encode_into<F: WireFrame>(frame: &F, buf: &mut Vec<u8>) {
        // Serializing our frame types into a Vec cannot fail: every key is a string and
        // every value a plain scalar, string, bytes or sequence.
        serde_json::to_writer(&mut *buf, frame).expect("frame serializes to JSON")
    }

    pub(crate) fn decode_each<F: WireFrame>(
        bytes: &[u8],
        limits: DecodeLimits,
        sink: &mut impl FnMut(F),
    ) -> Result<usize, DecodeError> {
        let text = std::str::from_utf8(bytes).map_err(|_| DecodeError::NotUtf8)?;
        let mut count = 0;
        for frame in serde_json::Deserializer::from_str(text).into_iter::<F>() {
            count = next_count(count, limits)?;
            sink(frame.map_err(json_error)?);
        }
        Ok(count)
    }

    fn unknown_variant(message: &str) -> Option<DecodeError> {
        let rest = message.strip_prefix("unknown variant `")?;
        let name = rest.split('`').next().unwrap_or_default();
        Some(DecodeError::UnknownFrameType(
            name.chars().take(64).collect(),
        ))
    }

    fn json_error(e: serde_json::Error) -> DecodeError {
        if e.is_eof() {
            return DecodeError::Truncated;
        }
        unknown_variant(&e.to_string()).unwrap_or_else(|| DecodeError::Malformed(e.to_string()))
    }
}

#[cfg(all(test, not(any(feature = "json", feature = "json-text"))))]
mod tests {
    use crate::{DecodeError, DecodeLimits, Encoding, ServerFrame};

    #[test]
    fn a_build_without_json_refuses_json_frames_with_a_typed_error() {
        let decoded = Encoding::Json.decode::<ServerFrame>(b"\"pong\"", DecodeLimits::default());
        assert_eq!(decoded, Err(DecodeError::Unsupported("the JSON encoding")));
        assert!(Encoding::Json.encode(&ServerFrame::Pong {}).is_empty());
    }
}
