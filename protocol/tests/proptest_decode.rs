//! Property tests: any bytes decode without panicking, and any frame survives a round trip.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use resocket_protocol::{ClientFrame, DecodeError, DecodeLimits, Encoding, ServerFrame, WireFrame};
use std::fmt::Debug;

mod strategies;
use strategies::{apply, client_frame, edit, server_frame};

const ENCODINGS: [Encoding; 2] = [Encoding::MsgPack, Encoding::Json];

fn encoding() -> impl Strategy<Value = Encoding> {
    prop::sample::select(ENCODINGS.to_vec())
}

/// Decodes untrusted bytes; whatever decodes must re-encode to frames that decode to
/// the same values (decoding never invents data the encoding cannot carry).
fn decode_untrusted<F>(enc: Encoding, bytes: &[u8]) -> Result<(), TestCaseError>
where
    F: WireFrame + PartialEq + Debug,
{
    if let Ok(frames) = enc.decode::<F>(bytes, DecodeLimits::default()) {
        let mut again = Vec::new();
        for frame in &frames {
            enc.encode_into(frame, &mut again);
        }
        let decoded: Vec<F> = enc
            .decode(&again, DecodeLimits::default())
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(decoded, frames);
    }
    Ok(())
}

fn roundtrip<F>(enc: Encoding, frames: &[F]) -> Result<(), TestCaseError>
where
    F: WireFrame + PartialEq + Debug,
{
    let mut message = Vec::new();
    for frame in frames {
        enc.encode_into(frame, &mut message);
    }
    let decoded: Vec<F> = enc
        .decode(&message, DecodeLimits::default())
        .map_err(|e| TestCaseError::fail(format!("{enc:?}: {e}")))?;
    prop_assert_eq!(decoded, frames);
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(enc in encoding(), bytes in vec(any::<u8>(), 0..256)) {
        decode_untrusted::<ClientFrame>(enc, &bytes)?;
        decode_untrusted::<ServerFrame>(enc, &bytes)?;
    }

    #[test]
    fn json_like_text_never_panics(text in r#"[\[\]{}":,0-9a-z_ \n\\-]{0,96}"#) {
        decode_untrusted::<ClientFrame>(Encoding::Json, text.as_bytes())?;
        decode_untrusted::<ServerFrame>(Encoding::Json, text.as_bytes())?;
    }

    #[test]
    fn edited_client_frames_never_panic(
        enc in encoding(),
        frames in vec(client_frame(), 1..4),
        edits in vec(edit(), 1..6),
    ) {
        let mut bytes = Vec::new();
        for frame in &frames {
            enc.encode_into(frame, &mut bytes);
        }
        apply(&mut bytes, &edits);
        decode_untrusted::<ClientFrame>(enc, &bytes)?;
        decode_untrusted::<ServerFrame>(enc, &bytes)?;
    }

    #[test]
    fn edited_server_frames_never_panic(
        enc in encoding(),
        frames in vec(server_frame(), 1..4),
        edits in vec(edit(), 1..6),
    ) {
        let mut bytes = Vec::new();
        for frame in &frames {
            enc.encode_into(frame, &mut bytes);
        }
        apply(&mut bytes, &edits);
        decode_untrusted::<ServerFrame>(enc, &bytes)?;
        decode_untrusted::<ClientFrame>(enc, &bytes)?;
    }

    #[test]
    fn client_frames_roundtrip(enc in encoding(), frames in vec(client_frame(), 1..6)) {
        roundtrip(enc, &frames)?;
    }

    #[test]
    fn server_frames_roundtrip(enc in encoding(), frames in vec(server_frame(), 1..6)) {
        roundtrip(enc, &frames)?;
    }

    #[test]
    fn a_cut_frame_never_decodes(enc in encoding(), frame in server_frame(), cut in any::<Index>()) {
        let bytes = enc.encode(&frame);
        let end = cut.index(bytes.len());
        let result = enc.decode::<ServerFrame>(&bytes[..end], DecodeLimits::default());
        prop_assert!(
            matches!(
                result,
                Err(DecodeError::Truncated | DecodeError::Empty | DecodeError::NotUtf8)
            ),
            "{:?} cut at {} of {}: {:?}", enc, end, bytes.len(), result
        );
    }
}
