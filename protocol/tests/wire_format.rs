//! The bytes on the wire are the ones `docs/PROTOCOL.md` shows, and the rules it states
//! about their shape (maps with field names, unknown fields ignored, subprotocols) hold.

use std::collections::BTreeSet;

use resocket_protocol::{
    CallResult, ClientFrame, DecodeLimits, Encoding, PresenceEvent, ServerFrame, SubscribeOutcome,
    WireFrame, PROTOCOL_VERSION, SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK,
};
use serde::Serialize;
use serde_json::Value;

const PROTOCOL_MD: &str = include_str!("../../docs/PROTOCOL.md");

/// One fenced `json` block of the document, with the direction its frames travel in.
struct Example {
    client_to_server: bool,
    text: String,
}

/// The `json` blocks of PROTOCOL.md. Blocks under "Client → server" hold client
/// frames; every other block holds server frames.
fn examples() -> Vec<Example> {
    let mut out = Vec::new();
    let mut client_to_server = false;
    let mut block: Option<Vec<&str>> = None;
    for line in PROTOCOL_MD.lines() {
        match &mut block {
            Some(lines) if line.trim_start().starts_with("```") => {
                out.push(Example {
                    client_to_server,
                    text: lines.join("\n"),
                });
                block = None;
            }
            Some(lines) => lines.push(line),
            None if line.starts_with("```json") => block = Some(Vec::new()),
            None if line.starts_with("### ") => {
                client_to_server = line.contains("Client → server");
            }
            None => {}
        }
    }
    out
}

/// Decodes a block as one JSON message and re-encodes its frames into one message.
fn reencode<F: WireFrame>(text: &str) -> (Vec<F>, String) {
    let frames: Vec<F> = Encoding::Json
        .decode(text.as_bytes(), DecodeLimits::default())
        .unwrap_or_else(|e| panic!("example does not decode: {e}\n{text}"));
    let mut again = Vec::new();
    for frame in &frames {
        Encoding::Json.encode_into(frame, &mut again);
    }
    (frames, String::from_utf8(again).unwrap())
}

fn client_examples() -> Vec<ClientFrame> {
    examples()
        .iter()
        .filter(|e| e.client_to_server)
        .flat_map(|e| reencode::<ClientFrame>(&e.text).0)
        .collect()
}

fn server_examples() -> Vec<ServerFrame> {
    examples()
        .iter()
        .filter(|e| !e.client_to_server)
        .flat_map(|e| reencode::<ServerFrame>(&e.text).0)
        .collect()
}

/// The frame type: the one key of the frame's JSON object.
fn tag<F: Serialize>(frame: &F) -> String {
    match serde_json::to_value(frame).unwrap() {
        Value::Object(map) if map.len() == 1 => map.keys().next().unwrap().clone(),
        other => panic!("a frame is an object with one key: {other}"),
    }
}

#[test]
fn document_examples_are_exactly_what_the_encoder_writes() {
    let examples = examples();
    assert!(!examples.is_empty(), "PROTOCOL.md has no json blocks");
    for example in &examples {
        let again = if example.client_to_server {
            reencode::<ClientFrame>(&example.text).1
        } else {
            reencode::<ServerFrame>(&example.text).1
        };
        assert_eq!(again, example.text);
    }
}

#[test]
fn document_has_an_example_of_every_frame() {
    let client: BTreeSet<_> = client_examples().iter().map(tag).collect();
    let expected = [
        "connect",
        "subscribe",
        "unsubscribe",
        "publish",
        "call",
        "ping",
        "pong",
    ];
    assert_eq!(client, expected.iter().map(|s| s.to_string()).collect());

    let server = server_examples();
    let tags: BTreeSet<_> = server.iter().map(tag).collect();
    let expected = [
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
    assert_eq!(tags, expected.iter().map(|s| s.to_string()).collect());

    let has = |pred: &dyn Fn(&ServerFrame) -> bool| server.iter().any(pred);
    assert!(has(&|f| matches!(
        f,
        ServerFrame::Subscribed {
            outcome: SubscribeOutcome::Fresh,
            ..
        }
    )));
    assert!(has(&|f| matches!(
        f,
        ServerFrame::Subscribed {
            outcome: SubscribeOutcome::Recovered { .. },
            ..
        }
    )));
    assert!(has(&|f| matches!(
        f,
        ServerFrame::Subscribed {
            outcome: SubscribeOutcome::Reset,
            ..
        }
    )));
    assert!(has(&|f| matches!(
        f,
        ServerFrame::Presence {
            event: PresenceEvent::Snapshot { .. },
            ..
        }
    )));
    assert!(has(&|f| matches!(
        f,
        ServerFrame::Presence {
            event: PresenceEvent::Join { .. },
            ..
        }
    )));
    assert!(has(&|f| matches!(
        f,
        ServerFrame::Presence {
            event: PresenceEvent::Leave { .. },
            ..
        }
    )));
    assert!(has(&|f| matches!(
        f,
        ServerFrame::Reply {
            result: CallResult::Ok(_),
            ..
        }
    )));
    assert!(has(&|f| matches!(
        f,
        ServerFrame::Reply {
            result: CallResult::Err(_),
            ..
        }
    )));
}

#[test]
fn document_msgpack_example_is_a_ping() {
    assert_eq!(
        Encoding::MsgPack.encode(&ClientFrame::Ping {}),
        [0x81, 0xa4, b'p', b'i', b'n', b'g', 0x80]
    );
    assert!(PROTOCOL_MD.contains("a4 70 69 6e 67"));
}

/// MessagePack frames have the JSON frames' shape: maps keyed by field name, enums as
/// single-key maps, data-less variants as strings. Payloads are the one difference
/// (`bin` against base64), and a `bin` has no JSON counterpart to compare with.
fn assert_same_shape<F: WireFrame>(frame: &F) {
    let json: Value = serde_json::from_slice(&Encoding::Json.encode(frame)).unwrap();
    match rmp_serde::from_slice::<Value>(&Encoding::MsgPack.encode(frame)) {
        Ok(msgpack) => assert_eq!(msgpack, json),
        Err(_) => {
            let text = json.to_string();
            assert!(
                text.contains("\"payload\"") || text.contains("\"ok\""),
                "only frames with a payload lack a JSON equivalent: {text}"
            );
        }
    }
}

#[test]
fn msgpack_frames_are_maps_with_field_names() {
    for frame in client_examples() {
        assert_same_shape(&frame);
    }
    for frame in server_examples() {
        assert_same_shape(&frame);
    }
}

/// Decodes `text`, and its MessagePack transcoding, as one frame.
fn decode_both_ways<F: WireFrame + PartialEq + std::fmt::Debug>(text: &str) -> F {
    let from_json: Vec<F> = Encoding::Json
        .decode(text.as_bytes(), DecodeLimits::default())
        .unwrap_or_else(|e| panic!("{e}: {text}"));
    let value: Value = serde_json::from_str(text).unwrap();
    let msgpack = rmp_serde::to_vec(&value).unwrap();
    let from_msgpack: Vec<F> = Encoding::MsgPack
        .decode(&msgpack, DecodeLimits::default())
        .unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(from_json, from_msgpack);
    assert_eq!(from_json.len(), 1);
    from_json.into_iter().next().unwrap()
}

#[test]
fn unknown_fields_are_ignored_at_every_level() {
    let connect: ClientFrame = decode_both_ways(
        r#"{"connect":{"version":1,"compression":["zstd"],"client":{"name":"n","version":"v","os":{"name":"linux"}}}}"#,
    );
    assert_eq!(
        Encoding::Json.encode(&connect),
        br#"{"connect":{"version":1,"client":{"name":"n","version":"v"}}}"#
    );

    let subscribe: ClientFrame = decode_both_ways(
        r#"{"subscribe":{"id":1,"channel":"c","since":{"epoch":"e","offset":4,"shard":7},"filter":null}}"#,
    );
    assert_eq!(
        Encoding::Json.encode(&subscribe),
        br#"{"subscribe":{"id":1,"channel":"c","since":{"epoch":"e","offset":4}}}"#
    );

    let ping: ClientFrame = decode_both_ways(r#"{"ping":{"sent_at":1700000000000}}"#);
    assert_eq!(ping, ClientFrame::Ping {});

    for (text, expected) in [
        (
            r#"{"subscribed":{"id":1,"channel":"c","epoch":"e","offset":9,"outcome":{"recovered":{"replayed":3,"from":"cache"}},"ttl":60}}"#,
            r#"{"subscribed":{"id":1,"channel":"c","epoch":"e","offset":9,"outcome":{"recovered":{"replayed":3}}}}"#,
        ),
        (
            r#"{"presence":{"channel":"c","event":{"join":{"member":{"session":"s","user":"u","meta":{"away":true}},"at":5}}}}"#,
            r#"{"presence":{"channel":"c","event":{"join":{"member":{"session":"s","user":"u"}}}}}"#,
        ),
        (
            r#"{"reply":{"id":2,"result":{"err":{"code":1001,"message":"m","details":[1,2]}}}}"#,
            r#"{"reply":{"id":2,"result":{"err":{"code":1001,"message":"m"}}}}"#,
        ),
        (
            r#"{"disconnect":{"code":4000,"reason":"r","reconnect":true,"node":"eu-1"}}"#,
            r#"{"disconnect":{"code":4000,"reason":"r","reconnect":true}}"#,
        ),
    ] {
        let frame: ServerFrame = decode_both_ways(text);
        assert_eq!(
            String::from_utf8(Encoding::Json.encode(&frame)).unwrap(),
            expected
        );
    }
}

#[test]
fn subprotocols_select_the_encoding() {
    assert_eq!(SUBPROTOCOL_MSGPACK, "resocket.v1.msgpack");
    assert_eq!(SUBPROTOCOL_JSON, "resocket.v1.json");
    assert_eq!(Encoding::default(), Encoding::MsgPack);
    for enc in [Encoding::MsgPack, Encoding::Json] {
        assert_eq!(Encoding::from_subprotocol(enc.subprotocol()), Some(enc));
    }
    assert_eq!(
        Encoding::from_subprotocol(" resocket.v1.json "),
        Some(Encoding::Json)
    );
    assert_eq!(Encoding::from_subprotocol("resocket.v2.json"), None);
    assert_eq!(Encoding::from_subprotocol(""), None);
    assert!(Encoding::MsgPack.is_binary());
    assert!(!Encoding::Json.is_binary());
    assert_eq!(PROTOCOL_VERSION, 1);
}
