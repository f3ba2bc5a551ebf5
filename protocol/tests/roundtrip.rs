//! Every frame survives encode → decode unchanged, alone and batched, in both encodings.

mod common;

use std::collections::BTreeSet;
use std::fmt::Debug;

use base64::Engine as _;
use resocket_protocol::{
    CallResult, ClientFrame, DecodeLimits, Encoding, Payload, PresenceEvent, ServerFrame,
    SubscribeOutcome, WireFrame,
};
use serde::{Deserialize, Serialize};

const ENCODINGS: [Encoding; 2] = [Encoding::MsgPack, Encoding::Json];

fn assert_roundtrip<F>(frame: &F)
where
    F: WireFrame + PartialEq + Debug + Clone,
{
    for enc in ENCODINGS {
        let bytes = enc.encode(frame);
        let decoded: Vec<F> = enc
            .decode(&bytes, DecodeLimits::default())
            .unwrap_or_else(|e| panic!("{enc:?} failed to decode {frame:?}: {e}"));
        assert_eq!(decoded, vec![frame.clone()], "{enc:?}");
    }
}

// The matches below have no wildcard arm: a new variant stops this file compiling until
// it is named here, and the `samples_cover_*` tests then fail until `common` has a
// sample of it.

fn client_variant(f: &ClientFrame) -> &'static str {
    match f {
        ClientFrame::Connect { .. } => "connect",
        ClientFrame::Subscribe { .. } => "subscribe",
        ClientFrame::Unsubscribe { .. } => "unsubscribe",
        ClientFrame::Publish { .. } => "publish",
        ClientFrame::Call { .. } => "call",
        ClientFrame::Ping {} => "ping",
        ClientFrame::Pong {} => "pong",
    }
}
const CLIENT_VARIANTS: [&str; 7] = [
    "connect",
    "subscribe",
    "unsubscribe",
    "publish",
    "call",
    "ping",
    "pong",
];

fn server_variant(f: &ServerFrame) -> &'static str {
    match f {
        ServerFrame::Connected { .. } => "connected",
        ServerFrame::Subscribed { .. } => "subscribed",
        ServerFrame::Unsubscribed { .. } => "unsubscribed",
        ServerFrame::PublishAck { .. } => "publish_ack",
        ServerFrame::Message { .. } => "message",
        ServerFrame::Reply { .. } => "reply",
        ServerFrame::Presence { .. } => "presence",
        ServerFrame::Ping {} => "ping",
        ServerFrame::Pong {} => "pong",
        ServerFrame::Error { .. } => "error",
        ServerFrame::Disconnect { .. } => "disconnect",
    }
}
const SERVER_VARIANTS: [&str; 11] = [
    "connected",
    "subscribed",
    "unsubscribed",
    "publish_ack",
    "message",
    "reply",
    "presence",
    "ping",
    "pong",
    "error",
    "disconnect",
];

/// Names the variants of the types nested in server frames.
fn nested_variants(f: &ServerFrame) -> Option<&'static str> {
    match f {
        ServerFrame::Subscribed { outcome, .. } => Some(match outcome {
            SubscribeOutcome::Fresh => "outcome.fresh",
            SubscribeOutcome::Recovered { .. } => "outcome.recovered",
            SubscribeOutcome::Reset => "outcome.reset",
        }),
        ServerFrame::Presence { event, .. } => Some(match event {
            PresenceEvent::Snapshot { .. } => "presence.snapshot",
            PresenceEvent::Join { .. } => "presence.join",
            PresenceEvent::Leave { .. } => "presence.leave",
        }),
        ServerFrame::Reply { result, .. } => Some(match result {
            CallResult::Ok(_) => "result.ok",
            CallResult::Err(_) => "result.err",
        }),
        _ => None,
    }
}
const NESTED_VARIANTS: [&str; 8] = [
    "outcome.fresh",
    "outcome.recovered",
    "outcome.reset",
    "presence.snapshot",
    "presence.join",
    "presence.leave",
    "result.ok",
    "result.err",
];

#[test]
fn samples_cover_every_client_variant() {
    let seen: BTreeSet<_> = common::client_frames().iter().map(client_variant).collect();
    assert_eq!(seen, CLIENT_VARIANTS.into_iter().collect());
}

#[test]
fn samples_cover_every_server_and_nested_variant() {
    let frames = common::server_frames();
    let seen: BTreeSet<_> = frames.iter().map(server_variant).collect();
    assert_eq!(seen, SERVER_VARIANTS.into_iter().collect());
    let nested: BTreeSet<_> = frames.iter().filter_map(nested_variants).collect();
    assert_eq!(nested, NESTED_VARIANTS.into_iter().collect());
}

#[test]
fn every_client_frame_roundtrips() {
    for frame in common::client_frames() {
        assert_roundtrip(&frame);
    }
}

#[test]
fn every_server_frame_roundtrips() {
    for frame in common::server_frames() {
        assert_roundtrip(&frame);
    }
}

#[test]
fn nested_types_roundtrip_on_their_own() {
    for outcome in [
        SubscribeOutcome::Fresh,
        SubscribeOutcome::Recovered { replayed: 0 },
        SubscribeOutcome::Recovered { replayed: u64::MAX },
        SubscribeOutcome::Reset,
    ] {
        assert_roundtrip(&outcome);
    }
    for frame in common::server_frames() {
        match frame {
            ServerFrame::Presence { event, .. } => assert_roundtrip(&event),
            ServerFrame::Reply { result, .. } => assert_roundtrip(&result),
            _ => {}
        }
    }
}

#[test]
fn absent_optional_fields_are_left_out_of_the_encoding() {
    let json = |f: &ServerFrame| String::from_utf8(Encoding::Json.encode(f)).unwrap();
    let frames = common::server_frames();
    let no_user = frames
        .iter()
        .find(|f| matches!(f, ServerFrame::Connected { user: None, .. }))
        .unwrap();
    assert!(!json(no_user).contains("user"), "{}", json(no_user));
    let no_retry = frames
        .iter()
        .find(|f| {
            matches!(
                f,
                ServerFrame::Disconnect {
                    retry_after_ms: None,
                    ..
                }
            )
        })
        .unwrap();
    assert!(!json(no_retry).contains("retry_after_ms"));

    let connect = ClientFrame::Connect {
        version: 1,
        token: None,
        client: Default::default(),
        resume: None,
    };
    let text = String::from_utf8(Encoding::Json.encode(&connect)).unwrap();
    assert!(
        !text.contains("token") && !text.contains("resume"),
        "{text}"
    );
    let msgpack = Encoding::MsgPack.encode(&connect);
    assert!(!msgpack.windows(5).any(|w| w == b"token"));
}

#[test]
fn omitted_optional_fields_decode_as_absent() {
    let frames: Vec<ServerFrame> = Encoding::Json
        .decode(
            br#"{"publish_ack":{"id":7,"epoch":"e","offset":3}}"#,
            DecodeLimits::default(),
        )
        .unwrap();
    assert_eq!(
        frames,
        [ServerFrame::PublishAck {
            id: 7,
            epoch: "e".into(),
            offset: 3,
            duplicate: false,
        }]
    );
    let frames: Vec<ClientFrame> = Encoding::Json
        .decode(
            br#"{"subscribe":{"id":1,"channel":"c","since":null}}"#,
            DecodeLimits::default(),
        )
        .unwrap();
    assert_eq!(
        frames,
        [ClientFrame::Subscribe {
            id: 1,
            channel: "c".into(),
            since: None,
        }]
    );
}

#[test]
fn frames_encoded_into_one_message_decode_in_order() {
    let frames = common::server_frames();
    for enc in ENCODINGS {
        let mut message = Vec::new();
        for frame in &frames {
            enc.encode_into(frame, &mut message);
        }
        let decoded: Vec<ServerFrame> = enc.decode(&message, DecodeLimits::default()).unwrap();
        assert_eq!(decoded, frames, "{enc:?}");
    }
    let frames = common::client_frames();
    for enc in ENCODINGS {
        let mut message = Vec::new();
        for frame in &frames {
            enc.encode_into(frame, &mut message);
        }
        let decoded: Vec<ClientFrame> = enc.decode(&message, DecodeLimits::default()).unwrap();
        assert_eq!(decoded, frames, "{enc:?}");
    }
}

#[test]
fn json_frames_in_one_message_are_newline_separated() {
    let mut message = Vec::new();
    Encoding::Json.encode_into(&ServerFrame::Ping {}, &mut message);
    Encoding::Json.encode_into(&ServerFrame::Pong {}, &mut message);
    assert_eq!(message, b"{\"ping\":{}}\n{\"pong\":{}}");

    let mut message = Vec::new();
    Encoding::MsgPack.encode_into(&ServerFrame::Ping {}, &mut message);
    Encoding::MsgPack.encode_into(&ServerFrame::Pong {}, &mut message);
    let mut concatenated = Encoding::MsgPack.encode(&ServerFrame::Ping {});
    concatenated.extend(Encoding::MsgPack.encode(&ServerFrame::Pong {}));
    assert_eq!(message, concatenated);
}

#[test]
fn pre_encoded_frames_appended_to_a_message_decode_in_order() {
    let frames = common::server_frames();
    let delivery = frames
        .iter()
        .find(|f| matches!(f, ServerFrame::Message { .. }))
        .unwrap();
    for enc in ENCODINGS {
        // A server encodes a delivery once and appends the same bytes to many
        // connections' outgoing messages, interleaved with frames encoded per connection.
        let shared = enc.encode(delivery);
        let mut message = Vec::new();
        let mut expected = Vec::new();
        for frame in &frames {
            enc.encode_into(frame, &mut message);
            expected.push(frame.clone());
            enc.append_encoded(&shared, &mut message);
            expected.push(delivery.clone());
        }
        let decoded: Vec<ServerFrame> = enc.decode(&message, DecodeLimits::default()).unwrap();
        assert_eq!(decoded, expected, "{enc:?}");
    }
}

#[test]
fn an_appended_batch_keeps_its_frames() {
    let frames = common::server_frames();
    for enc in ENCODINGS {
        let mut batch = Vec::new();
        for frame in &frames[..4] {
            enc.encode_into(frame, &mut batch);
        }
        let mut message = Vec::new();
        enc.encode_into(&ServerFrame::Ping {}, &mut message);
        enc.append_encoded(&batch, &mut message);
        enc.append_encoded(&batch, &mut message);

        let mut expected = vec![ServerFrame::Ping {}];
        expected.extend_from_slice(&frames[..4]);
        expected.extend_from_slice(&frames[..4]);
        let mut decoded = Vec::new();
        let count = enc
            .decode_each(&message, DecodeLimits::default(), |f: ServerFrame| {
                decoded.push(f)
            })
            .unwrap();
        assert_eq!(count, expected.len());
        assert_eq!(decoded, expected, "{enc:?}");
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ChatMessage {
    author: String,
    text: String,
    sent_at_ms: u64,
    tags: Vec<String>,
    reply_to: Option<u64>,
    #[serde(with = "serde_bytes_vec")]
    attachment: Vec<u8>,
}

/// Serializes `Vec<u8>` as msgpack `bin` rather than an array of integers.
mod serde_bytes_vec {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        Ok(bytes::Bytes::deserialize(d)?.to_vec())
    }
}

fn chat_message() -> ChatMessage {
    ChatMessage {
        author: "alice".into(),
        text: "héllo ✓".into(),
        sent_at_ms: 1_700_000_000_000,
        tags: vec!["a".into(), "b".into()],
        reply_to: None,
        attachment: vec![0, 1, 2, 255],
    }
}

#[test]
fn typed_payload_roundtrips_a_struct() {
    let message = chat_message();
    let payload = Payload::encode(&message).unwrap();
    assert_eq!(payload.decode::<ChatMessage>().unwrap(), message);

    // Inside a frame, in both encodings.
    let frame = ClientFrame::Publish {
        id: 1,
        channel: "chat".into(),
        msg_id: "m".into(),
        payload,
    };
    for enc in ENCODINGS {
        let decoded: Vec<ClientFrame> = enc
            .decode(&enc.encode(&frame), DecodeLimits::default())
            .unwrap();
        let [ClientFrame::Publish { payload, .. }] = &decoded[..] else {
            panic!("{decoded:?}");
        };
        assert_eq!(payload.decode::<ChatMessage>().unwrap(), message, "{enc:?}");
    }
}

#[test]
fn typed_payload_is_msgpack_with_field_names() {
    let payload = Payload::encode(&chat_message()).unwrap();
    // fixmap of 6 entries, first key "author".
    assert_eq!(payload.as_bytes()[0], 0x86);
    assert_eq!(&payload.as_bytes()[1..8], b"\xa6author");
}

#[test]
fn typed_payload_of_another_shape_is_an_error() {
    let payload = Payload::encode(&("not", "a", "chat message")).unwrap();
    assert!(payload.decode::<ChatMessage>().is_err());
    assert!(Payload::from(&b"\xc1"[..]).decode::<u32>().is_err());
}

#[test]
fn json_payload_is_standard_base64_and_msgpack_payload_is_bin() {
    let payload = common::binary_payload();
    let frame = ServerFrame::Reply {
        id: 1,
        result: CallResult::Ok(payload.clone()),
    };
    let json: serde_json::Value = serde_json::from_slice(&Encoding::Json.encode(&frame)).unwrap();
    let text = json["reply"]["result"]["ok"].as_str().unwrap();
    assert_eq!(
        text,
        base64::engine::general_purpose::STANDARD.encode(payload.as_bytes())
    );

    let msgpack = Encoding::MsgPack.encode(&frame);
    // 256 bytes do not fit a bin8 length, so the payload is a bin16: 0xc5, then the
    // length as a big-endian u16, then the bytes.
    let header = [0xc5, 0x01, 0x00];
    let at = msgpack
        .windows(3)
        .position(|w| w == header)
        .expect("payload is a msgpack bin16");
    assert_eq!(&msgpack[at + 3..at + 3 + 256], payload.as_bytes());
}
