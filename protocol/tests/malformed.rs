//! Untrusted bytes: every malformed, truncated, oversized or hostile message decodes to a
//! typed `DecodeError` — never a panic, never a frame with the wrong data, never an
//! allocation or a recursion sized by what the bytes claim rather than what they hold.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Debug;

use resocket_protocol::{ClientFrame, DecodeError, DecodeLimits, Encoding, ServerFrame, WireFrame};

const ENCODINGS: [Encoding; 2] = [Encoding::MsgPack, Encoding::Json];

fn decode<F: WireFrame>(enc: Encoding, bytes: &[u8]) -> Result<Vec<F>, DecodeError> {
    enc.decode(bytes, DecodeLimits::default())
}

fn decode_both(enc: Encoding, bytes: &[u8]) -> [Result<(), DecodeError>; 2] {
    [
        decode::<ClientFrame>(enc, bytes).map(drop),
        decode::<ServerFrame>(enc, bytes).map(drop),
    ]
}

fn assert_malformed<F: WireFrame + Debug>(enc: Encoding, bytes: &[u8]) {
    match decode::<F>(enc, bytes) {
        Err(DecodeError::Malformed(_)) => {}
        other => panic!(
            "{enc:?} {:?}: expected Malformed, got {other:?}",
            String::from_utf8_lossy(bytes)
        ),
    }
}

#[test]
fn garbage_is_malformed() {
    // 0xc1 is the one marker msgpack never uses; a top-level array is not a frame; a map
    // with two keys names two frame types at once.
    for bytes in [
        &b"\xc1"[..],
        b"\x92\x01\x02",
        b"\x82\xa4ping\x80\xa4pong\x80",
        b"\xa4ping",
        b"\x81\xa4ping\x01",
    ] {
        assert_malformed::<ClientFrame>(Encoding::MsgPack, bytes);
        assert_malformed::<ServerFrame>(Encoding::MsgPack, bytes);
    }
    for text in [
        "hello",
        "[1,2]",
        "\"ping\"",
        r#"{"ping":1}"#,
        r#"{"ping":{},"pong":{}}"#,
        r#"{"ping":{}} trailing"#,
    ] {
        assert_malformed::<ClientFrame>(Encoding::Json, text.as_bytes());
        assert_malformed::<ServerFrame>(Encoding::Json, text.as_bytes());
    }
}

#[test]
fn fields_of_the_wrong_type_or_missing_are_malformed() {
    for text in [
        r#"{"subscribe":{"id":"one","channel":"c"}}"#,
        r#"{"subscribe":{"id":-1,"channel":"c"}}"#,
        r#"{"subscribe":{"id":1.5,"channel":"c"}}"#,
        r#"{"subscribe":{"id":18446744073709551616,"channel":"c"}}"#,
        r#"{"subscribe":{"channel":"c"}}"#,
        r#"{"subscribe":{"id":1,"channel":"c","since":{"epoch":"e"}}}"#,
        r#"{"connect":{"version":1}}"#,
        r#"{"publish":{"id":1,"channel":"c","msg_id":"m","payload":5}}"#,
    ] {
        assert_malformed::<ClientFrame>(Encoding::Json, text.as_bytes());
        let msgpack =
            rmp_serde::to_vec(&serde_json::from_str::<serde_json::Value>(text).unwrap()).unwrap();
        assert_malformed::<ClientFrame>(Encoding::MsgPack, &msgpack);
    }
    for text in [
        r#"{"error":{"code":70000,"message":"m"}}"#,
        r#"{"subscribed":{"id":1,"channel":"c","epoch":"e","offset":0}}"#,
        r#"{"subscribed":{"id":1,"channel":"c","epoch":"e","offset":0,"outcome":{"recovered":{}}}}"#,
        r#"{"reply":{"id":1,"result":{"err":{"code":1}}}}"#,
        r#"{"presence":{"channel":"c","event":{"join":{"member":{"user":"u"}}}}}"#,
    ] {
        assert_malformed::<ServerFrame>(Encoding::Json, text.as_bytes());
    }
}

#[test]
fn every_prefix_of_a_frame_is_truncated() {
    fn check<F: WireFrame + Debug>(enc: Encoding, bytes: &[u8]) {
        assert_eq!(decode::<F>(enc, &[]).unwrap_err(), DecodeError::Empty);
        for end in 1..bytes.len() {
            let mut handed = 0;
            let result =
                enc.decode_each(&bytes[..end], DecodeLimits::default(), |_: F| handed += 1);
            // A JSON prefix that splits a multi-byte character fails the UTF-8 check,
            // which runs before parsing.
            let expected = if enc == Encoding::Json && std::str::from_utf8(&bytes[..end]).is_err() {
                DecodeError::NotUtf8
            } else {
                DecodeError::Truncated
            };
            assert_eq!(
                result,
                Err(expected),
                "{enc:?}, {end} of {} bytes",
                bytes.len()
            );
            assert_eq!(handed, 0);
        }
    }
    for enc in ENCODINGS {
        for frame in common::client_frames() {
            check::<ClientFrame>(enc, &enc.encode(&frame));
        }
        for frame in common::server_frames() {
            check::<ServerFrame>(enc, &enc.encode(&frame));
        }
    }
}

#[test]
fn a_message_cut_inside_a_later_frame_hands_over_the_earlier_ones() {
    for enc in ENCODINGS {
        let frames = common::server_frames();
        let mut message = Vec::new();
        enc.encode_into(&frames[0], &mut message);
        enc.encode_into(&frames[1], &mut message);
        let second = enc.encode(&frames[1]);
        message.truncate(message.len() - second.len() / 2);

        let mut handed = Vec::new();
        let result = enc.decode_each(&message, DecodeLimits::default(), |f: ServerFrame| {
            handed.push(f)
        });
        assert_eq!(result, Err(DecodeError::Truncated), "{enc:?}");
        assert_eq!(handed, &frames[..1], "{enc:?}");
    }
}

#[test]
fn oversized_message_is_rejected_before_parsing() {
    let limits = DecodeLimits {
        max_message_bytes: 64,
        ..DecodeLimits::default()
    };
    // Bytes that would fail differently if they were looked at: 0xff is neither a
    // valid msgpack frame start nor UTF-8.
    let junk = [0xffu8; 65];
    for enc in ENCODINGS {
        assert_eq!(
            enc.decode::<ClientFrame>(&junk, limits),
            Err(DecodeError::TooLarge { len: 65, max: 64 })
        );
        assert!(!matches!(
            enc.decode::<ClientFrame>(&junk[..64], limits),
            Err(DecodeError::TooLarge { .. })
        ));

        // A valid message of exactly the limit decodes; one byte less and it is refused.
        let mut message = Vec::new();
        for _ in 0..3 {
            enc.encode_into(&ClientFrame::Ping {}, &mut message);
        }
        let len = message.len();
        let exact = DecodeLimits {
            max_message_bytes: len,
            ..limits
        };
        assert_eq!(
            enc.decode::<ClientFrame>(&message, exact).map(|f| f.len()),
            Ok(3)
        );
        let short = DecodeLimits {
            max_message_bytes: len - 1,
            ..limits
        };
        assert_eq!(
            enc.decode::<ClientFrame>(&message, short),
            Err(DecodeError::TooLarge { len, max: len - 1 })
        );
    }

    let default_max = DecodeLimits::default().max_message_bytes;
    let big = vec![b' '; default_max + 1];
    assert_eq!(
        decode::<ServerFrame>(Encoding::Json, &big),
        Err(DecodeError::TooLarge {
            len: default_max + 1,
            max: default_max
        })
    );
}

#[test]
fn too_many_frames_in_one_message() {
    let limits = DecodeLimits {
        max_frames: 3,
        ..DecodeLimits::default()
    };
    for enc in ENCODINGS {
        let mut message = Vec::new();
        for _ in 0..3 {
            enc.encode_into(&ServerFrame::Ping {}, &mut message);
        }
        assert_eq!(
            enc.decode::<ServerFrame>(&message, limits).unwrap().len(),
            3
        );

        enc.encode_into(&ServerFrame::Pong {}, &mut message);
        let mut handed = 0;
        let result = enc.decode_each(&message, limits, |_: ServerFrame| handed += 1);
        assert_eq!(
            result,
            Err(DecodeError::TooManyFrames { max: 3 }),
            "{enc:?}"
        );
        assert_eq!(handed, 3);
    }
}

#[test]
fn empty_message() {
    for enc in ENCODINGS {
        assert_eq!(
            decode_both(enc, b""),
            [Err(DecodeError::Empty), Err(DecodeError::Empty)]
        );
    }
    assert_eq!(
        decode_both(Encoding::Json, b" \n\t\r\n"),
        [Err(DecodeError::Empty), Err(DecodeError::Empty)]
    );
}

#[test]
fn unknown_frame_type_is_named() {
    let unknown = || Err(DecodeError::UnknownFrameType("bogus".into()));
    for text in [r#"{"bogus":{}}"#, r#"{"bogus":{"id":1,"what":[1,2]}}"#] {
        assert_eq!(
            decode_both(Encoding::Json, text.as_bytes()),
            [unknown(), unknown()]
        );
    }
    // {"bogus": {}} in msgpack: fixmap(1), fixstr(5) "bogus", fixmap(0).
    let msgpack = b"\x81\xa5bogus\x80";
    assert_eq!(
        rmp_serde::to_vec(&serde_json::json!({"bogus": {}})).unwrap(),
        msgpack
    );
    assert_eq!(
        decode_both(Encoding::MsgPack, msgpack),
        [unknown(), unknown()]
    );

    // A client frame sent to a client (or the reverse) is an unknown type too.
    assert_eq!(
        decode::<ClientFrame>(Encoding::Json, br#"{"connected":{}}"#),
        Err(DecodeError::UnknownFrameType("connected".into()))
    );
    assert_eq!(
        decode::<ServerFrame>(Encoding::Json, br#"{"connect":{}}"#),
        Err(DecodeError::UnknownFrameType("connect".into()))
    );
}

#[test]
fn unknown_frame_type_name_is_capped() {
    let name = "x".repeat(10_000);
    let text = format!(r#"{{"{name}":{{}}}}"#);
    for enc in ENCODINGS {
        let bytes = if enc == Encoding::Json {
            text.clone().into_bytes()
        } else {
            rmp_serde::to_vec(&serde_json::from_str::<serde_json::Value>(&text).unwrap()).unwrap()
        };
        assert_eq!(
            decode::<ClientFrame>(enc, &bytes),
            Err(DecodeError::UnknownFrameType("x".repeat(64))),
            "{enc:?}"
        );
    }
}

#[test]
fn json_that_is_not_utf8() {
    for bytes in [
        &b"\xff"[..],
        b"{\"ping\":{}}\n\xc3\x28",
        b"{\"subscribe\":{\"id\":1,\"channel\":\"\xed\xa0\x80\"}}",
    ] {
        assert_eq!(
            decode_both(Encoding::Json, bytes),
            [Err(DecodeError::NotUtf8), Err(DecodeError::NotUtf8)]
        );
    }
}

#[test]
fn bad_base64_payload_is_malformed() {
    for payload in ["!!!!", "aGVsbG8", "aGVsbG8=\n", "a", "aGVs bG8="] {
        let text = format!(
            r#"{{"message":{{"channel":"c","epoch":"e","offset":1,"payload":"{}"}}}}"#,
            payload.escape_default()
        );
        match decode::<ServerFrame>(Encoding::Json, text.as_bytes()) {
            Err(DecodeError::Malformed(m)) => assert!(m.contains("base64"), "{m}"),
            other => panic!("{payload:?}: {other:?}"),
        }
    }
}

thread_local! {
    static LARGEST_ALLOCATION: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, noting per thread the largest block requested.
struct TrackingAllocator;

fn note(size: usize) {
    // `try_with`: the slot may already be gone while a thread shuts down.
    let _ = LARGEST_ALLOCATION.try_with(|l| l.set(l.get().max(size)));
}

// SAFETY: every call is forwarded unchanged to `System`.
unsafe impl GlobalAlloc for TrackingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: TrackingAllocator = TrackingAllocator;

/// The largest block allocated on this thread while `f` ran.
fn largest_allocation_in<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST_ALLOCATION.with(|l| l.set(0));
    let out = f();
    (out, LARGEST_ALLOCATION.with(Cell::get))
}

#[test]
fn length_claims_larger_than_the_message_allocate_only_what_is_there() {
    fn key(name: &str) -> Vec<u8> {
        let mut k = vec![0xa0 | name.len() as u8];
        k.extend_from_slice(name.as_bytes());
        k
    }
    const FOUR_GIB_MINUS_ONE: [u8; 4] = [0xff; 4];

    // {"publish": {"id": 1, "channel": "c", "msg_id": "m", "payload": bin32(4 GiB) 1 2 3}}
    let mut bin = vec![0x81];
    bin.extend(key("publish"));
    bin.push(0x84);
    bin.extend(key("id"));
    bin.push(0x01);
    bin.extend(key("channel"));
    bin.extend(key("c"));
    bin.extend(key("msg_id"));
    bin.extend(key("m"));
    bin.extend(key("payload"));
    bin.push(0xc6);
    bin.extend(FOUR_GIB_MINUS_ONE);
    bin.extend([1, 2, 3]);

    // {"unsubscribe": {"id": 1, "channel": str32(4 GiB) "abc"}}
    let mut str32 = vec![0x81];
    str32.extend(key("unsubscribe"));
    str32.push(0x82);
    str32.extend(key("id"));
    str32.push(0x01);
    str32.extend(key("channel"));
    str32.push(0xdb);
    str32.extend(FOUR_GIB_MINUS_ONE);
    str32.extend(b"abc");

    // {"unsubscribe": map32(4 Gi entries) ...}
    let mut map32 = vec![0x81];
    map32.extend(key("unsubscribe"));
    map32.push(0xdf);
    map32.extend(FOUR_GIB_MINUS_ONE);
    map32.extend(key("id"));
    map32.push(0x01);

    // {"ping": {"future": ext32(4 GiB) ...}}
    let mut ext32 = vec![0x81];
    ext32.extend(key("ping"));
    ext32.push(0x81);
    ext32.extend(key("future"));
    ext32.push(0xc9);
    ext32.extend(FOUR_GIB_MINUS_ONE);
    ext32.extend([0x01, 0xaa, 0xbb]);

    // The tracker sees allocations at all.
    let (_, largest) = largest_allocation_in(|| vec![0u8; 1 << 20]);
    assert!(largest >= 1 << 20);

    for (name, bytes) in [
        ("bin32", &bin),
        ("str32", &str32),
        ("map32", &map32),
        ("ext32", &ext32),
    ] {
        let (result, largest) =
            largest_allocation_in(|| decode::<ClientFrame>(Encoding::MsgPack, bytes));
        assert!(result.is_err(), "{name}: {result:?}");
        assert!(largest < 64 * 1024, "{name}: allocated {largest} bytes");
    }

    // {"presence": {"channel": "c", "event": {"snapshot": {"members": array32(4 Gi)}}}}:
    // serde pre-allocates a Vec for a claimed length, but caps that guess at 1 MiB.
    let mut array32 = vec![0x81];
    array32.extend(key("presence"));
    array32.push(0x82);
    array32.extend(key("channel"));
    array32.extend(key("c"));
    array32.extend(key("event"));
    array32.push(0x81);
    array32.extend(key("snapshot"));
    array32.push(0x81);
    array32.extend(key("members"));
    array32.push(0xdd);
    array32.extend(FOUR_GIB_MINUS_ONE);
    array32.push(0x80);
    let (result, largest) =
        largest_allocation_in(|| decode::<ServerFrame>(Encoding::MsgPack, &array32));
    assert!(result.is_err(), "array32: {result:?}");
    assert!(largest <= 1 << 20, "array32: allocated {largest} bytes");
}

/// Runs `f` on a thread with the stack of a tokio worker (2 MiB), so a decoder that
/// recursed once per nesting level would overflow it.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deeply_nested_msgpack_is_malformed() {
    on_small_stack(|| {
        const DEPTH: usize = 100_000;
        // {"ping": {"future": [[[[ … nil … ]]]]}}: nesting in a field this version ignores.
        for open in [0x91u8, 0x81] {
            let mut bytes = b"\x81\xa4ping\x81\xa6future".to_vec();
            for _ in 0..DEPTH {
                bytes.push(open);
                if open == 0x81 {
                    bytes.extend(b"\xa1k");
                }
            }
            bytes.push(0xc0);
            let result = decode::<ClientFrame>(Encoding::MsgPack, &bytes);
            assert!(
                matches!(result, Err(DecodeError::Malformed(_))),
                "{result:?}"
            );
        }
        // [[[[ … ]]]] where a frame should start.
        let bytes = vec![0x91; DEPTH];
        for result in decode_both(Encoding::MsgPack, &bytes) {
            assert!(
                matches!(result, Err(DecodeError::Malformed(_))),
                "{result:?}"
            );
        }
    });
}

#[test]
fn moderately_nested_unknown_fields_are_ignored() {
    // Forward compatibility: a newer peer may send structured values in new fields.
    let mut bytes = b"\x81\xa4ping\x81\xa6future".to_vec();
    bytes.extend([0x91; 100]);
    bytes.push(0xc0);
    assert_eq!(
        decode::<ClientFrame>(Encoding::MsgPack, &bytes),
        Ok(vec![ClientFrame::Ping {}])
    );
    let text = format!(
        r#"{{"ping":{{"future":{}{}}}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    assert_eq!(
        decode::<ClientFrame>(Encoding::Json, text.as_bytes()),
        Ok(vec![ClientFrame::Ping {}])
    );
}

#[test]
fn deeply_nested_json_does_not_recurse() {
    on_small_stack(|| {
        const DEPTH: usize = 100_000;
        let nested = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
        // Where a frame or a typed field should be: rejected at the first bracket.
        for result in decode_both(Encoding::Json, nested.as_bytes()) {
            assert!(
                matches!(result, Err(DecodeError::Malformed(_))),
                "{result:?}"
            );
        }
        let text = format!(r#"{{"subscribe":{{"id":1,"channel":"c","since":{nested}}}}}"#);
        let result = decode::<ClientFrame>(Encoding::Json, text.as_bytes());
        assert!(
            matches!(result, Err(DecodeError::Malformed(_))),
            "{result:?}"
        );
        // Unclosed, where a frame should be.
        let open = "[".repeat(DEPTH);
        for result in decode_both(Encoding::Json, open.as_bytes()) {
            assert!(result.is_err());
        }
        // In an ignored field, serde_json skips the value without recursing.
        let text = format!(r#"{{"ping":{{"future":{nested}}}}}"#);
        assert_eq!(
            decode::<ClientFrame>(Encoding::Json, text.as_bytes()),
            Ok(vec![ClientFrame::Ping {}])
        );
    });
}
