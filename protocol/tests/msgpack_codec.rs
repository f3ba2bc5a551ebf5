//! The hand-written MessagePack codec against the serde path it replaced — serde's
//! derives through rmp-serde, kept here as the reference: the same bytes out for every
//! frame, the same frames in for every legal form of them (any width, any field order,
//! unknown fields, `nil` for absent options), the same kind of error for damaged
//! messages, and the same shape as the JSON encoding.

mod common;
mod strategies;

use std::fmt::Debug;

use base64::Engine as _;
use proptest::collection::vec;
use proptest::prelude::*;
use resocket_protocol::{
    CallResult, ClientFrame, DecodeError, DecodeLimits, Encoding, Payload, PresenceEvent,
    PresenceMember, ServerFrame, SubscribeOutcome, WireFrame,
};
use rmpv::Value;
use serde::de::DeserializeOwned;
use serde::Serialize;
use strategies::{apply, call_result, client_frame, edit, outcome, presence_event, server_frame};

// ----- the serde reference ------------------------------------------------------------

/// The encoder of earlier versions.
fn serde_encode<F: Serialize>(frame: &F) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut ser = rmp_serde::Serializer::new(&mut buf).with_struct_map();
    frame.serialize(&mut ser).unwrap();
    buf
}

/// The decoder of earlier versions (rmp-serde through `std::io::Read`, nesting capped at
/// 128), with its error mapping: the frames handed over, then the outcome.
fn serde_decode<F: DeserializeOwned>(bytes: &[u8]) -> (Vec<F>, Result<(), DecodeError>) {
    let mut frames = Vec::new();
    let mut rest = bytes;
    let mut de = rmp_serde::Deserializer::new(&mut rest);
    de.set_max_depth(128);
    while !de.get_ref().is_empty() {
        match F::deserialize(&mut de) {
            Ok(frame) => frames.push(frame),
            Err(e) => return (frames, Err(serde_error(e))),
        }
    }
    let result = if frames.is_empty() {
        Err(DecodeError::Empty)
    } else {
        Ok(())
    };
    (frames, result)
}

fn serde_error(e: rmp_serde::decode::Error) -> DecodeError {
    use rmp_serde::decode::Error as E;
    match &e {
        E::InvalidMarkerRead(io) | E::InvalidDataRead(io)
            if io.kind() == std::io::ErrorKind::UnexpectedEof =>
        {
            DecodeError::Truncated
        }
        E::Syntax(msg) if msg.starts_with("unknown variant `") => {
            let name = msg["unknown variant `".len()..].split('`').next().unwrap();
            DecodeError::UnknownFrameType(name.chars().take(64).collect())
        }
        _ => DecodeError::Malformed(e.to_string()),
    }
}

fn codec_decode<F: WireFrame>(bytes: &[u8]) -> (Vec<F>, Result<(), DecodeError>) {
    let mut frames = Vec::new();
    let result = Encoding::MsgPack.decode_each(bytes, DecodeLimits::default(), |f| frames.push(f));
    (frames, result.map(drop))
}

/// An error's kind: messages differ between the two decoders, kinds must not.
fn kind(result: &Result<(), DecodeError>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(DecodeError::Malformed(_)) => "malformed".into(),
        Err(e) => format!("{e:?}"),
    }
}

// ----- encoding -----------------------------------------------------------------------

fn assert_same_bytes<F: WireFrame + Debug>(frame: &F) {
    assert_eq!(
        Encoding::MsgPack.encode(frame),
        serde_encode(frame),
        "{frame:?}"
    );
}

#[test]
fn every_sample_frame_encodes_to_the_bytes_serde_wrote() {
    for frame in common::client_frames() {
        assert_same_bytes(&frame);
    }
    for frame in common::server_frames() {
        assert_same_bytes(&frame);
        match frame {
            ServerFrame::Subscribed { outcome, .. } => assert_same_bytes(&outcome),
            ServerFrame::Presence { event, .. } => assert_same_bytes(&event),
            ServerFrame::Reply { result, .. } => assert_same_bytes(&result),
            _ => {}
        }
    }
}

/// Lengths and integers on both sides of every boundary between two MessagePack forms.
#[test]
fn every_width_encodes_as_serde_did_and_decodes_back() {
    let lengths = [0, 1, 15, 16, 31, 32, 255, 256, 65_535, 65_536, 70_000];
    let integers = [
        0,
        1,
        127,
        128,
        255,
        256,
        65_535,
        65_536,
        u64::from(u32::MAX),
        u64::from(u32::MAX) + 1,
        u64::MAX,
    ];
    let mut frames = Vec::new();
    for &len in &lengths {
        let text = "x".repeat(len);
        frames.push(ServerFrame::Message {
            channel: text.clone(),
            epoch: "é".repeat(len / 2),
            offset: 1,
            payload: Payload::from(vec![7u8; len]),
            publisher: Some(text.clone()),
        });
        frames.push(ServerFrame::Presence {
            channel: "c".into(),
            event: PresenceEvent::Snapshot {
                members: (0..len.min(70_000))
                    .map(|i| PresenceMember {
                        session: i.to_string(),
                        user: None,
                    })
                    .collect(),
            },
        });
    }
    for &n in &integers {
        frames.push(ServerFrame::PublishAck {
            id: n,
            epoch: "e".into(),
            offset: n,
            duplicate: n % 2 == 0,
        });
        frames.push(ServerFrame::Error {
            code: n as u16,
            message: String::new(),
            id: Some(n),
        });
    }
    let mut message = Vec::new();
    for frame in &frames {
        assert_same_bytes(frame);
        Encoding::MsgPack.encode_into(frame, &mut message);
    }
    let limits = DecodeLimits {
        max_message_bytes: usize::MAX,
        ..DecodeLimits::default()
    };
    let decoded: Vec<ServerFrame> = Encoding::MsgPack.decode(&message, limits).unwrap();
    assert_eq!(decoded, frames);
}

/// The MessagePack value as JSON would carry it: `bin` as standard base64.
fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Nil => J::Null,
        Value::Boolean(b) => J::Bool(*b),
        Value::Integer(i) => J::from(i.as_u64().unwrap()),
        Value::String(s) => J::String(s.as_str().unwrap().to_owned()),
        Value::Binary(b) => J::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Value::Array(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| (k.as_str().unwrap().to_owned(), to_json(v)))
                .collect(),
        ),
        other => panic!("frames carry no {other:?}"),
    }
}

fn assert_same_shape_as_json<F: WireFrame>(frame: &F) -> Result<(), TestCaseError> {
    let bytes = Encoding::MsgPack.encode(frame);
    let value = rmpv::decode::read_value(&mut &bytes[..]).unwrap();
    prop_assert_eq!(to_json(&value), serde_json::to_value(frame).unwrap());
    Ok(())
}

proptest! {
    #[test]
    fn random_frames_encode_to_the_bytes_serde_wrote(
        client in client_frame(),
        server in server_frame(),
        outcome in outcome(),
        event in presence_event(),
        result in call_result(),
    ) {
        prop_assert_eq!(Encoding::MsgPack.encode(&client), serde_encode(&client));
        prop_assert_eq!(Encoding::MsgPack.encode(&server), serde_encode(&server));
        prop_assert_eq!(Encoding::MsgPack.encode(&outcome), serde_encode(&outcome));
        prop_assert_eq!(Encoding::MsgPack.encode(&event), serde_encode(&event));
        prop_assert_eq!(Encoding::MsgPack.encode(&result), serde_encode(&result));
    }

    #[test]
    fn msgpack_and_json_encodings_carry_the_same_values(
        client in client_frame(),
        server in server_frame(),
    ) {
        assert_same_shape_as_json(&client)?;
        assert_same_shape_as_json(&server)?;
    }
}

// ----- decoding every legal form ------------------------------------------------------

/// Where a value sits, which says what may be added to it.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    /// A map of one entry naming an enum variant.
    Enum,
    /// A map of fields.
    Struct,
    Other,
}

/// Optional fields, by a field that only their struct has.
const OPTIONAL: [(&str, &[&str]); 6] = [
    ("client", &["token", "resume"]),
    ("channel", &["since", "publisher"]),
    ("session", &["user"]),
    ("message", &["id"]),
    ("reason", &["retry_after_ms"]),
    ("ping_timeout_ms", &["user"]),
];

/// Rewrites a message in random legal forms: every length and integer in a random width
/// that holds it, struct fields in random order, unknown fields added, and `nil` for
/// absent optional fields.
struct Scrambler(u64);

impl Scrambler {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<T: Copy>(&mut self, options: &[T]) -> T {
        options[(self.next() % options.len() as u64) as usize]
    }

    /// A header: a fix form for `len <= fix_max`, or one of the wider ones that hold it.
    fn len(&mut self, out: &mut Vec<u8>, len: usize, fix: Option<(u8, usize)>, wide: [u8; 3]) {
        let mut forms = Vec::new();
        if let Some((marker, _)) = fix.filter(|&(_, max)| len <= max) {
            forms.push((marker | len as u8, 0));
        }
        for (marker, width) in wide.into_iter().zip([1usize, 2, 4]) {
            if marker != 0 && (width == 4 || len < 1 << (8 * width)) {
                forms.push((marker, width));
            }
        }
        let (marker, width) = self.pick(&forms);
        out.push(marker);
        out.extend_from_slice(&(len as u64).to_be_bytes()[8 - width..]);
    }

    fn uint(&mut self, out: &mut Vec<u8>, v: u64) {
        let mut forms: Vec<(u8, usize)> = vec![(0xcf, 8)];
        for (marker, width) in [(0xcc, 1), (0xcd, 2), (0xce, 4)] {
            if v < 1 << (8 * width) {
                forms.push((marker, width));
            }
        }
        for (marker, width) in [(0xd0, 1), (0xd1, 2), (0xd2, 4), (0xd3, 8)] {
            if v < 1 << (8 * width - 1) {
                forms.push((marker, width));
            }
        }
        if v < 128 {
            out.push(v as u8);
            if self.next() % 2 == 0 {
                return;
            }
            out.pop();
        }
        let (marker, width) = self.pick(&forms);
        out.push(marker);
        out.extend_from_slice(&v.to_be_bytes()[8 - width..]);
    }

    /// Some value a newer peer might send in a field this version does not know.
    fn unknown_value(&mut self, out: &mut Vec<u8>, depth: u32) {
        match self.next() % if depth > 3 { 5 } else { 8 } {
            0 => out.push(0xc0),
            1 => {
                let (v, shift) = (self.next(), self.next() % 64);
                self.uint(out, v >> shift);
            }
            2 => out.extend_from_slice(&[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 1]),
            3 => out.extend_from_slice(&[0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]),
            4 => {
                self.len(out, 3, Some((0xa0, 31)), [0xd9, 0xda, 0xdb]);
                out.extend_from_slice(b"new");
            }
            5 => {
                out.extend_from_slice(&[0xd6, 0x05, 1, 2, 3, 4]);
            }
            6 => {
                let n = (self.next() % 3) as usize;
                self.len(out, n, Some((0x90, 15)), [0, 0xdc, 0xdd]);
                for _ in 0..n {
                    self.unknown_value(out, depth + 1);
                }
            }
            _ => {
                let n = (self.next() % 3) as usize;
                self.len(out, n, Some((0x80, 15)), [0, 0xde, 0xdf]);
                for i in 0..n {
                    self.len(out, 2, Some((0xa0, 31)), [0xd9, 0xda, 0xdb]);
                    out.extend_from_slice(&[b'k', b'0' + i as u8]);
                    self.unknown_value(out, depth + 1);
                }
            }
        }
    }

    fn write(&mut self, v: &Value, place: Place, out: &mut Vec<u8>) {
        match v {
            Value::Nil => out.push(0xc0),
            Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
            Value::Integer(i) => self.uint(out, i.as_u64().unwrap()),
            Value::String(s) => {
                let bytes = s.as_bytes();
                self.len(out, bytes.len(), Some((0xa0, 31)), [0xd9, 0xda, 0xdb]);
                out.extend_from_slice(bytes);
            }
            Value::Binary(b) => {
                self.len(out, b.len(), None, [0xc4, 0xc5, 0xc6]);
                out.extend_from_slice(b);
            }
            Value::Array(items) => {
                self.len(out, items.len(), Some((0x90, 15)), [0, 0xdc, 0xdd]);
                for item in items {
                    self.write(item, Place::Struct, out);
                }
            }
            Value::Map(entries) if place == Place::Enum => {
                self.len(out, 1, Some((0x80, 15)), [0, 0xde, 0xdf]);
                let (key, value) = &entries[0];
                self.write(key, Place::Other, out);
                self.write(value, Place::Struct, out);
            }
            Value::Map(entries) => {
                let mut entries: Vec<(Value, Value)> = entries.clone();
                for (marker, optional) in OPTIONAL {
                    if entries.iter().any(|(k, _)| k.as_str() == Some(marker)) {
                        for name in optional {
                            let absent = !entries.iter().any(|(k, _)| k.as_str() == Some(name));
                            if absent && self.next() % 2 == 0 {
                                entries.push((Value::from(*name), Value::Nil));
                            }
                        }
                    }
                }
                let unknown = (self.next() % 3) as usize;
                for i in 0..entries.len() {
                    let j = i + (self.next() % (entries.len() - i) as u64) as usize;
                    entries.swap(i, j);
                }
                self.len(
                    out,
                    entries.len() + unknown,
                    Some((0x80, 15)),
                    [0, 0xde, 0xdf],
                );
                for _ in 0..unknown {
                    self.len(out, 9, Some((0xa0, 31)), [0xd9, 0xda, 0xdb]);
                    out.extend_from_slice(b"x_unknown");
                    self.unknown_value(out, 0);
                }
                for (key, value) in &entries {
                    self.write(key, Place::Other, out);
                    let key = key.as_str().unwrap_or_default();
                    let place = match key {
                        "outcome" | "event" | "result" => Place::Enum,
                        _ => Place::Struct,
                    };
                    self.write(value, place, out);
                }
            }
            other => panic!("frames carry no {other:?}"),
        }
    }

    fn message<F: WireFrame>(&mut self, frames: &[F]) -> Vec<u8> {
        let mut out = Vec::new();
        for frame in frames {
            let canonical = Encoding::MsgPack.encode(frame);
            let value = rmpv::decode::read_value(&mut &canonical[..]).unwrap();
            self.write(&value, Place::Enum, &mut out);
        }
        out
    }
}

fn assert_both_decode<F: WireFrame + PartialEq + Debug>(
    bytes: &[u8],
    frames: &[F],
) -> Result<(), TestCaseError> {
    let (decoded, result) = codec_decode::<F>(bytes);
    prop_assert_eq!(result, Ok(()));
    prop_assert_eq!(&decoded, frames);
    let (decoded, result) = serde_decode::<F>(bytes);
    prop_assert_eq!(result, Ok(()));
    prop_assert_eq!(&decoded, frames);
    Ok(())
}

proptest! {
    #[test]
    fn every_legal_form_decodes_as_before(
        seed in any::<u64>(),
        client in vec(client_frame(), 1..4),
        server in vec(server_frame(), 1..4),
    ) {
        let mut scrambler = Scrambler(seed | 1);
        assert_both_decode(&scrambler.message(&client), &client)?;
        assert_both_decode(&scrambler.message(&server), &server)?;
    }
}

// ----- decoding damaged messages ------------------------------------------------------

/// Both decoders hand over the same frames and fail the same way — except where the old
/// one read a form the protocol does not have (see `forms_outside_the_protocol_are_refused`),
/// which the new one refuses as malformed: then it hands over fewer frames, the same as
/// far as it goes. (That it refuses nothing legal is `every_legal_form_decodes_as_before`.)
fn assert_decoded_alike<F: WireFrame + PartialEq + Debug>(
    bytes: &[u8],
) -> Result<(), TestCaseError> {
    let (new_frames, new_result) = codec_decode::<F>(bytes);
    let (old_frames, old_result) = serde_decode::<F>(bytes);
    if new_frames == old_frames && kind(&new_result) == kind(&old_result) {
        return Ok(());
    }
    prop_assert!(
        matches!(new_result, Err(DecodeError::Malformed(_)))
            && new_frames.len() <= old_frames.len()
            && new_frames[..] == old_frames[..new_frames.len()],
        "{:?} after {:?}, where the old decoder said {:?} after {:?}, in {:02x?}",
        new_result,
        new_frames,
        old_result,
        old_frames,
        bytes
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn damaged_messages_decode_as_before(
        seed in any::<u64>(),
        client in vec(client_frame(), 1..4),
        server in vec(server_frame(), 1..4),
        edits in vec(edit(), 1..4),
        scramble in any::<bool>(),
    ) {
        let mut scrambler = Scrambler(seed | 1);
        for mut bytes in [
            if scramble { scrambler.message(&client) } else { serde_encode_all(&client) },
            if scramble { scrambler.message(&server) } else { serde_encode_all(&server) },
        ] {
            apply(&mut bytes, &edits);
            assert_decoded_alike::<ClientFrame>(&bytes)?;
            assert_decoded_alike::<ServerFrame>(&bytes)?;
        }
    }

    #[test]
    fn random_bytes_decode_as_before(bytes in vec(any::<u8>(), 0..64)) {
        assert_decoded_alike::<ClientFrame>(&bytes)?;
        assert_decoded_alike::<ServerFrame>(&bytes)?;
    }
}

fn serde_encode_all<F: Serialize>(frames: &[F]) -> Vec<u8> {
    frames.iter().flat_map(serde_encode).collect()
}

/// The nesting limit sits where it was: a value nested in an ignored field is accepted
/// up to the same depth, for arrays, maps and extensions alike.
#[test]
fn the_nesting_limit_is_where_it_was() {
    for depth in 100..140 {
        for open in [&[0x91u8][..], b"\x81\xa1k", b"\xc7\x00\x05"] {
            let mut bytes = b"\x81\xa4ping\x81\xa6future".to_vec();
            let levels = if open[0] == 0xc7 { 1 } else { depth };
            // An extension nests once; put it at the bottom of arrays.
            bytes.extend(std::iter::repeat_n(0x91, depth - levels));
            for _ in 0..levels {
                bytes.extend_from_slice(open);
            }
            if open[0] != 0xc7 {
                bytes.push(0xc0);
            }
            let (new_frames, new_result) = codec_decode::<ClientFrame>(&bytes);
            let (old_frames, old_result) = serde_decode::<ClientFrame>(&bytes);
            assert_eq!(kind(&new_result), kind(&old_result), "depth {depth}");
            assert_eq!(new_frames, old_frames, "depth {depth}");
        }
    }
}

/// Forms rmp-serde let through that the protocol does not have. PROTOCOL.md: structs are
/// maps keyed by field name (never positional arrays), payloads are `bin`, names are
/// strings. The hand-written decoder refuses them; nothing ever sent them.
#[test]
fn forms_outside_the_protocol_are_refused() {
    let refused: [(&str, &[u8]); 5] = [
        // {"unsubscribe": [1, "c"]}: a struct as a positional array.
        ("positional struct", b"\x81\xabunsubscribe\x92\x01\xa1c"),
        // {"unsubscribe": {"id": 1, "channel": bin "c"}}: a string as `bin`.
        (
            "bin string",
            b"\x81\xabunsubscribe\x82\xa2id\x01\xa7channel\xc4\x01c",
        ),
        // {"call": {"id": 1, "method": "m", "payload": "AQ=="}}: a payload as base64.
        (
            "base64 payload",
            b"\x81\xa4call\x83\xa2id\x01\xa6method\xa1m\xa7payload\xa4AQ==",
        ),
        // {"unsubscribe": {0: 1, 1: "c"}}: fields by index.
        ("field index", b"\x81\xabunsubscribe\x82\x00\x01\x01\xa1c"),
        // {5: {}}: a frame type by index.
        ("variant index", b"\x81\x05\x80"),
    ];
    for (what, bytes) in refused {
        let (old, result) = serde_decode::<ClientFrame>(bytes);
        assert_eq!(
            (old.len(), result),
            (1, Ok(())),
            "{what}: rmp-serde read it"
        );
        assert!(
            matches!(
                Encoding::MsgPack.decode::<ClientFrame>(bytes, DecodeLimits::default()),
                Err(DecodeError::Malformed(_))
            ),
            "{what}"
        );
    }
}

/// Unit variants: a bare string, or a map from the name to `nil`, as before; a variant
/// with data is never a bare string.
#[test]
fn variants_without_data_take_both_forms() {
    for (bytes, expected) in [
        (&b"\xa5fresh"[..], Ok(SubscribeOutcome::Fresh)),
        (b"\x81\xa5reset\xc0", Ok(SubscribeOutcome::Reset)),
        (b"\x81\xa5reset\x80", Err(())),
        (b"\xa9recovered", Err(())),
        (b"\x82\xa5fresh\xc0\xa5reset\xc0", Err(())),
    ] {
        let new: Result<Vec<SubscribeOutcome>, _> =
            Encoding::MsgPack.decode(bytes, DecodeLimits::default());
        let (old, old_result) = serde_decode::<SubscribeOutcome>(bytes);
        assert_eq!(new.clone().map_err(drop), expected.map(|o| vec![o]));
        assert_eq!(old_result.is_ok(), new.is_ok());
        if let Ok(new) = new {
            assert_eq!(new, old);
        }
    }
    let ok: Vec<CallResult> = Encoding::MsgPack
        .decode(b"\x81\xa2ok\xc4\x01\x07", DecodeLimits::default())
        .unwrap();
    assert_eq!(ok, [CallResult::Ok(Payload::from(vec![7]))]);
    assert!(Encoding::MsgPack
        .decode::<CallResult>(b"\xa2ok", DecodeLimits::default())
        .is_err());
}
