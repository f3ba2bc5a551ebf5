//! Property tests: any bytes decode without panicking, and any frame survives a round trip.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use resocket_protocol::{
    CallResult, ClientFrame, ClientInfo, DecodeError, DecodeLimits, Encoding, ErrorBody, Payload,
    Position, PresenceEvent, PresenceMember, ServerFrame, SubscribeOutcome,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

const ENCODINGS: [Encoding; 2] = [Encoding::MsgPack, Encoding::Json];

fn encoding() -> impl Strategy<Value = Encoding> {
    prop::sample::select(ENCODINGS.to_vec())
}

/// Mostly short identifiers, sometimes any Unicode (escapes, multi-byte characters).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[a-z0-9:._-]{0,12}", 1 => any::<String>()]
}

fn payload() -> impl Strategy<Value = Payload> {
    vec(any::<u8>(), 0..48).prop_map(Payload::from)
}

fn position() -> impl Strategy<Value = Position> {
    (text(), any::<u64>()).prop_map(|(epoch, offset)| Position { epoch, offset })
}

fn member() -> impl Strategy<Value = PresenceMember> {
    (text(), prop::option::of(text())).prop_map(|(session, user)| PresenceMember { session, user })
}

fn client_frame() -> impl Strategy<Value = ClientFrame> {
    prop_oneof![
        (
            any::<u32>(),
            prop::option::of(text()),
            text(),
            text(),
            prop::option::of(text())
        )
            .prop_map(|(version, token, name, v, resume)| ClientFrame::Connect {
                version,
                token,
                client: ClientInfo { name, version: v },
                resume,
            }),
        (any::<u64>(), text(), prop::option::of(position()))
            .prop_map(|(id, channel, since)| ClientFrame::Subscribe { id, channel, since }),
        (any::<u64>(), text()).prop_map(|(id, channel)| ClientFrame::Unsubscribe { id, channel }),
        (any::<u64>(), text(), text(), payload()).prop_map(|(id, channel, msg_id, payload)| {
            ClientFrame::Publish {
                id,
                channel,
                msg_id,
                payload,
            }
        }),
        (any::<u64>(), text(), payload()).prop_map(|(id, method, payload)| ClientFrame::Call {
            id,
            method,
            payload
        }),
        Just(ClientFrame::Ping {}),
        Just(ClientFrame::Pong {}),
    ]
}

fn outcome() -> impl Strategy<Value = SubscribeOutcome> {
    prop_oneof![
        Just(SubscribeOutcome::Fresh),
        any::<u64>().prop_map(|replayed| SubscribeOutcome::Recovered { replayed }),
        Just(SubscribeOutcome::Reset),
    ]
}

fn presence_event() -> impl Strategy<Value = PresenceEvent> {
    prop_oneof![
        vec(member(), 0..4).prop_map(|members| PresenceEvent::Snapshot { members }),
        member().prop_map(|member| PresenceEvent::Join { member }),
        member().prop_map(|member| PresenceEvent::Leave { member }),
    ]
}

fn call_result() -> impl Strategy<Value = CallResult> {
    prop_oneof![
        payload().prop_map(CallResult::Ok),
        (any::<u16>(), text())
            .prop_map(|(code, message)| CallResult::Err(ErrorBody { code, message })),
    ]
}

fn server_frame() -> impl Strategy<Value = ServerFrame> {
    prop_oneof![
        (text(), any::<u64>(), any::<u64>(), prop::option::of(text())).prop_map(
            |(session, ping_interval_ms, ping_timeout_ms, user)| ServerFrame::Connected {
                session,
                ping_interval_ms,
                ping_timeout_ms,
                user,
            }
        ),
        (any::<u64>(), text(), text(), any::<u64>(), outcome()).prop_map(
            |(id, channel, epoch, offset, outcome)| ServerFrame::Subscribed {
                id,
                channel,
                epoch,
                offset,
                outcome,
            }
        ),
        (any::<u64>(), text()).prop_map(|(id, channel)| ServerFrame::Unsubscribed { id, channel }),
        (any::<u64>(), text(), any::<u64>(), any::<bool>()).prop_map(
            |(id, epoch, offset, duplicate)| ServerFrame::PublishAck {
                id,
                epoch,
                offset,
                duplicate,
            }
        ),
        (
            text(),
            text(),
            any::<u64>(),
            payload(),
            prop::option::of(text())
        )
            .prop_map(|(channel, epoch, offset, payload, publisher)| {
                ServerFrame::Message {
                    channel,
                    epoch,
                    offset,
                    payload,
                    publisher,
                }
            }),
        (any::<u64>(), call_result()).prop_map(|(id, result)| ServerFrame::Reply { id, result }),
        (text(), presence_event())
            .prop_map(|(channel, event)| ServerFrame::Presence { channel, event }),
        Just(ServerFrame::Ping {}),
        Just(ServerFrame::Pong {}),
        (any::<u16>(), text(), prop::option::of(any::<u64>()))
            .prop_map(|(code, message, id)| ServerFrame::Error { code, message, id }),
        (
            any::<u16>(),
            text(),
            any::<bool>(),
            prop::option::of(any::<u64>())
        )
            .prop_map(|(code, reason, reconnect, retry_after_ms)| {
                ServerFrame::Disconnect {
                    code,
                    reason,
                    reconnect,
                    retry_after_ms,
                }
            }),
    ]
}

/// One edit to an encoded message.
#[derive(Debug, Clone)]
enum Edit {
    Flip(Index, u8),
    Insert(Index, u8),
    Remove(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<Index>().prop_map(Edit::Remove),
    ]
}

fn apply(bytes: &mut Vec<u8>, edits: &[Edit]) {
    for edit in edits {
        if bytes.is_empty() {
            return;
        }
        match edit {
            Edit::Flip(i, b) => {
                let i = i.index(bytes.len());
                bytes[i] ^= b;
            }
            Edit::Insert(i, b) => bytes.insert(i.index(bytes.len() + 1), *b),
            Edit::Remove(i) => {
                bytes.remove(i.index(bytes.len()));
            }
        }
    }
}

/// Decodes untrusted bytes; whatever decodes must re-encode to frames that decode to
/// the same values (decoding never invents data the encoding cannot carry).
fn decode_untrusted<F>(enc: Encoding, bytes: &[u8]) -> Result<(), TestCaseError>
where
    F: Serialize + DeserializeOwned + PartialEq + Debug,
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
    F: Serialize + DeserializeOwned + PartialEq + Debug,
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
