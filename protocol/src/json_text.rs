//! The JSON encoding without serde_json, for builds without the `json` feature (the
//! browser package): JSON text is transcoded to MessagePack and read by the one frame
//! codec ([`WireFrame`]), and frames are written as MessagePack and transcoded to JSON
//! text. A few hundred lines instead of serde_json and a second set of serde visitors
//! in the module.
//!
//! What it writes is byte for byte what serde_json writes for the same frame (compact,
//! fields in declaration order, serde_json's string escapes, payloads as standard
//! base64 with padding). What it reads is standard JSON, with these limits where
//! serde_json is more lenient or more precise:
//!
//! * Nesting deeper than the MessagePack codec's limit is malformed even inside a field
//!   this version ignores (serde_json skips any depth there).
//! * A number that is not an integer (or does not fit 64 bits) is read as a float
//!   without its value: frames carry no floats, so it is malformed wherever a field is
//!   read and skipped where it is ignored, as with serde_json.
//! * The whole frame is transcoded before its fields are read, so a message that is both
//!   cut short and wrong earlier is `Truncated` where serde_json says `Malformed`.
//!
//! The unit tests compare both directions with serde_json.

use crate::codec::next_count;
use crate::msgpack::{malformed, write_str, write_uint, Head, Reader, MAX_DEPTH};
use crate::{DecodeError, DecodeLimits, WireFrame};

// ----- frames → JSON text -------------------------------------------------------------

/// Appends the frame as serde_json would write it.
pub(crate) fn encode_into<F: WireFrame>(frame: &F, buf: &mut Vec<u8>) {
    let mut msgpack = Vec::with_capacity(64);
    frame.write_msgpack(&mut msgpack);
    // The bytes were just written by the frame codec: every value is one JSON has.
    let written = write_json(&mut Reader::new(&msgpack), buf);
    debug_assert!(written.is_ok(), "{written:?}");
}

fn write_json(r: &mut Reader<'_>, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    match r.head()? {
        Head::Nil => out.extend_from_slice(b"null"),
        Head::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Head::Uint(v) => push_decimal(v, out),
        Head::Str(s) => push_string(s, out),
        Head::Bin(b) => {
            out.push(b'"');
            encode_base64(b, out);
            out.push(b'"');
        }
        Head::Array(n) => {
            out.push(b'[');
            for i in 0..n {
                if i > 0 {
                    out.push(b',');
                }
                write_json(r, out)?;
            }
            out.push(b']');
        }
        Head::Map(n) => {
            out.push(b'{');
            for i in 0..n {
                if i > 0 {
                    out.push(b',');
                }
                write_json(r, out)?;
                out.push(b':');
                write_json(r, out)?;
            }
            out.push(b'}');
        }
        Head::Number | Head::Ext(_) => return Err(malformed("no JSON form")),
    }
    Ok(())
}

fn push_decimal(mut v: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A JSON string literal with serde_json's escapes: `"`, `\` and control characters.
fn push_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x00..=0x1f => b'u',
            _ => continue,
        };
        out.extend_from_slice(&s[start..i]);
        out.extend_from_slice(&[b'\\', short]);
        if short == b'u' {
            out.extend_from_slice(&[
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

// ----- base64 (RFC 4648 §4, with padding) ----------------------------------------------

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn encode_base64(bytes: &[u8], out: &mut Vec<u8>) {
    for chunk in bytes.chunks(3) {
        let mut b = [0u8; 3];
        b[..chunk.len()].copy_from_slice(chunk);
        let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[(v >> (18 - 6 * i) & 0x3f) as usize]
            } else {
                b'='
            });
        }
    }
}

fn sextet(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Decodes standard base64 as strictly as the `base64` crate's `STANDARD` engine: whole
/// groups of four, padding only at the end, and no stray bits in the last character.
pub(crate) fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 4 != 0 {
        return None;
    }
    let groups = text.len() / 4;
    let mut out = Vec::with_capacity(groups * 3);
    for (i, group) in text.chunks_exact(4).enumerate() {
        let pad = match (i + 1 == groups, group) {
            (true, [.., b'=', b'=']) => 2,
            (true, [.., b'=']) => 1,
            _ => 0,
        };
        let mut v = 0u32;
        for &c in &group[..4 - pad] {
            v = v << 6 | sextet(c)?;
        }
        let bytes = (v << (6 * pad)).to_be_bytes();
        // The bits after the last whole byte must be zero.
        if bytes[4 - pad..].iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
}

// ----- JSON text → frames -------------------------------------------------------------

/// Decodes every frame of a JSON message (frames separated by whitespace).
pub(crate) fn decode_each<F: WireFrame>(
    bytes: &[u8],
    limits: DecodeLimits,
    sink: &mut impl FnMut(F),
) -> Result<usize, DecodeError> {
    std::str::from_utf8(bytes).map_err(|_| DecodeError::NotUtf8)?;
    let mut parser = Parser { rest: bytes };
    let mut msgpack = Vec::new();
    let mut count = 0;
    loop {
        parser.whitespace();
        if parser.rest.is_empty() {
            return Ok(count);
        }
        count = next_count(count, limits)?;
        msgpack.clear();
        // The frame codec's limit, plus the enum maps it does not count.
        parser.value(&mut msgpack, MAX_DEPTH + 2)?;
        sink(F::read_msgpack(&mut Reader::with_base64_payloads(
            &msgpack,
        ))?);
    }
}

/// Transcodes JSON values to MessagePack. The input is valid UTF-8.
struct Parser<'a> {
    rest: &'a [u8],
}

impl<'a> Parser<'a> {
    fn whitespace(&mut self) {
        while let [b' ' | b'\t' | b'\n' | b'\r', rest @ ..] = self.rest {
            self.rest = rest;
        }
    }

    fn peek(&self) -> Result<u8, DecodeError> {
        self.rest.first().copied().ok_or(DecodeError::Truncated)
    }

    fn next(&mut self) -> Result<u8, DecodeError> {
        let b = self.peek()?;
        self.rest = &self.rest[1..];
        Ok(b)
    }

    fn expect(&mut self, expected: u8) -> Result<(), DecodeError> {
        self.whitespace();
        if self.next()? != expected {
            return Err(malformed("unexpected character in JSON"));
        }
        Ok(())
    }

    fn value(&mut self, out: &mut Vec<u8>, depth: u32) -> Result<(), DecodeError> {
        self.whitespace();
        match self.peek()? {
            b'{' => self.container(out, depth, 0xdf, b'}'),
            b'[' => self.container(out, depth, 0xdd, b']'),
            b'"' => {
                self.rest = &self.rest[1..];
                self.string(out)
            }
            b't' => self.literal(b"true", 0xc3, out),
            b'f' => self.literal(b"false", 0xc2, out),
            b'n' => self.literal(b"null", 0xc0, out),
            b'-' | b'0'..=b'9' => self.number(out),
            _ => Err(malformed("expected a JSON value")),
        }
    }

    /// An object or array, as a map32 or array32 whose count is filled in at the end.
    fn container(
        &mut self,
        out: &mut Vec<u8>,
        depth: u32,
        marker: u8,
        close: u8,
    ) -> Result<(), DecodeError> {
        if depth == 0 {
            return Err(malformed("values nested too deep"));
        }
        self.rest = &self.rest[1..];
        let header = out.len();
        out.extend_from_slice(&[marker, 0, 0, 0, 0]);
        let mut count = 0u32;
        self.whitespace();
        if self.peek()? == close {
            self.rest = &self.rest[1..];
        } else {
            loop {
                if close == b'}' {
                    self.expect(b'"')?;
                    self.string(out)?;
                    self.expect(b':')?;
                }
                self.value(out, depth - 1)?;
                count += 1;
                self.whitespace();
                match self.next()? {
                    b',' => {}
                    c if c == close => break,
                    _ => return Err(malformed("expected `,` or the end of a JSON container")),
                }
            }
        }
        out[header + 1..header + 5].copy_from_slice(&count.to_be_bytes());
        Ok(())
    }

    fn literal(&mut self, word: &[u8], marker: u8, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        let n = word.len().min(self.rest.len());
        if self.rest[..n] != word[..n] {
            return Err(malformed("unexpected word in JSON"));
        }
        if n < word.len() {
            return Err(DecodeError::Truncated);
        }
        self.rest = &self.rest[n..];
        out.push(marker);
        Ok(())
    }

    /// A string after its opening quote.
    fn string(&mut self, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        let mut text = Vec::new();
        loop {
            let end = self
                .rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .ok_or(DecodeError::Truncated)?;
            text.extend_from_slice(&self.rest[..end]);
            self.rest = &self.rest[end..];
            match self.next()? {
                b'"' => break,
                b'\\' => self.escape(&mut text)?,
                _ => return Err(malformed("control character in a JSON string")),
            }
        }
        // The input is UTF-8 and escapes add whole characters.
        let text = String::from_utf8(text).map_err(|_| malformed("invalid JSON string"))?;
        write_str(out, &text);
        Ok(())
    }

    fn escape(&mut self, text: &mut Vec<u8>) -> Result<(), DecodeError> {
        let c = match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                let code = match unit {
                    0xd800..=0xdbff => {
                        if self.next()? != b'\\' || self.next()? != b'u' {
                            return Err(malformed("lone surrogate in a JSON string"));
                        }
                        let low = self.hex4()?;
                        if !(0xdc00..=0xdfff).contains(&low) {
                            return Err(malformed("lone surrogate in a JSON string"));
                        }
                        0x10000 + ((unit - 0xd800) << 10 | (low - 0xdc00))
                    }
                    _ => unit,
                };
                char::from_u32(code).ok_or_else(|| malformed("lone surrogate in a JSON string"))?
            }
            _ => return Err(malformed("invalid escape in a JSON string")),
        };
        let mut utf8 = [0; 4];
        text.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, DecodeError> {
        let mut v = 0;
        for _ in 0..4 {
            let digit = (self.next()? as char)
                .to_digit(16)
                .ok_or_else(|| malformed("invalid \\u escape in a JSON string"))?;
            v = v << 4 | digit;
        }
        Ok(v)
    }

    /// A number: an integer that fits 64 bits as one, anything else as a float whose
    /// value is not kept (frames have no floats).
    fn number(&mut self, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        let negative = self.rest[0] == b'-';
        if negative {
            self.rest = &self.rest[1..];
        }
        let digits = self.digits()?;
        if digits.len() > 1 && digits[0] == b'0' {
            return Err(malformed("leading zero in a JSON number"));
        }
        let mut integer = true;
        if let Some(b'.') = self.rest.first() {
            self.rest = &self.rest[1..];
            self.digits()?;
            integer = false;
        }
        if let Some(b'e' | b'E') = self.rest.first() {
            self.rest = &self.rest[1..];
            if let Some(b'+' | b'-') = self.rest.first() {
                self.rest = &self.rest[1..];
            }
            self.digits()?;
            integer = false;
        }
        let value = digits.iter().try_fold(0u64, |v, &d| {
            v.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        });
        match (integer, negative, value) {
            (true, false, Some(v)) => write_uint(out, v),
            // serde_json reads `-0` as a float, as it does every number out of range.
            (true, true, Some(v)) if v != 0 && v <= 1 << 63 => {
                out.push(0xd3);
                out.extend_from_slice(&(v as i64).wrapping_neg().to_be_bytes());
            }
            _ => out.extend_from_slice(&[0xcb, 0, 0, 0, 0, 0, 0, 0, 0]),
        }
        Ok(())
    }

    /// One or more decimal digits.
    fn digits(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            self.peek()?;
            return Err(malformed("expected a digit in a JSON number"));
        }
        let (digits, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(digits)
    }
}

/// Checked against serde_json, the `json` feature's codec.
#[cfg(all(test, feature = "json"))]
mod tests {
    use base64::Engine as _;
    use proptest::prelude::*;

    use super::*;
    use crate::{ClientFrame, Encoding, Payload, ServerFrame};

    fn lite_encode<F: WireFrame>(frame: &F) -> Vec<u8> {
        let mut buf = Vec::new();
        encode_into(frame, &mut buf);
        buf
    }

    fn lite_decode<F: WireFrame>(text: &[u8]) -> (Vec<F>, Result<usize, DecodeError>) {
        let mut frames = Vec::new();
        let result = decode_each(text, DecodeLimits::default(), &mut |f| frames.push(f));
        (frames, result)
    }

    /// serde_json's frames, when it accepts the whole message.
    fn serde_decode<F: WireFrame>(text: &[u8]) -> Option<Vec<F>> {
        let text = std::str::from_utf8(text).ok()?;
        serde_json::Deserializer::from_str(text)
            .into_iter::<F>()
            .collect::<Result<Vec<F>, _>>()
            .ok()
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9:._-]{0,12}",
            any::<String>(),
            "[\"\\\\\u{0}-\u{1f}\u{7f}é✓😀/]{0,8}"
        ]
    }

    fn payload() -> impl Strategy<Value = Payload> {
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Payload::from)
    }

    fn server_frame() -> impl Strategy<Value = ServerFrame> {
        prop_oneof![
            (
                text(),
                text(),
                any::<u64>(),
                payload(),
                proptest::option::of(text())
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
            (any::<u16>(), text(), proptest::option::of(any::<u64>()))
                .prop_map(|(code, message, id)| ServerFrame::Error { code, message, id }),
            (any::<u64>(), payload()).prop_map(|(id, p)| ServerFrame::Reply {
                id,
                result: crate::CallResult::Ok(p),
            }),
            Just(ServerFrame::Ping {}),
        ]
    }

    fn client_frame() -> impl Strategy<Value = ClientFrame> {
        prop_oneof![
            (any::<u64>(), text(), text(), payload()).prop_map(|(id, channel, msg_id, payload)| {
                ClientFrame::Publish {
                    id,
                    channel,
                    msg_id,
                    payload,
                }
            }),
            (any::<u32>(), proptest::option::of(text()), text(), text()).prop_map(
                |(version, token, name, v)| ClientFrame::Connect {
                    version,
                    token,
                    client: crate::ClientInfo { name, version: v },
                    resume: None,
                }
            ),
            Just(ClientFrame::Pong {}),
        ]
    }

    proptest! {
        #[test]
        fn writes_what_serde_json_writes(client in client_frame(), server in server_frame()) {
            prop_assert_eq!(lite_encode(&client), Encoding::Json.encode(&client));
            prop_assert_eq!(lite_encode(&server), Encoding::Json.encode(&server));
        }

        #[test]
        fn reads_what_serde_json_writes(frames in proptest::collection::vec(server_frame(), 1..4)) {
            let mut text = Vec::new();
            for frame in &frames {
                Encoding::Json.encode_into(frame, &mut text);
            }
            let (decoded, result) = lite_decode::<ServerFrame>(&text);
            prop_assert_eq!(result, Ok(frames.len()));
            prop_assert_eq!(decoded, frames);
        }

        /// Whatever it accepts, serde_json accepts as the same frames.
        #[test]
        fn accepts_nothing_serde_json_refuses(
            frames in proptest::collection::vec(server_frame(), 1..3),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        ) {
            let mut text = Vec::new();
            for frame in &frames {
                Encoding::Json.encode_into(frame, &mut text);
            }
            for (i, b) in edits {
                let i = i.index(text.len());
                // Mostly characters that matter to JSON's grammar.
                let grammar = b" {}[]\":,\\0123456789-.eEtrufalsn";
                text[i] = grammar[usize::from(b) % grammar.len()];
            }
            let (decoded, result) = lite_decode::<ServerFrame>(&text);
            if result.is_ok() {
                prop_assert_eq!(Some(decoded), serde_decode::<ServerFrame>(&text));
            }
        }

        #[test]
        fn base64_matches_the_base64_crate(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut text = Vec::new();
            encode_base64(&bytes, &mut text);
            let engine = base64::engine::general_purpose::STANDARD;
            prop_assert_eq!(&text, &engine.encode(&bytes).into_bytes());
            prop_assert_eq!(decode_base64(&text), Some(bytes));
        }

        #[test]
        fn base64_refuses_what_the_base64_crate_refuses(text in "[A-Za-z0-9+/=\n -]{0,12}") {
            let engine = base64::engine::general_purpose::STANDARD;
            prop_assert_eq!(decode_base64(text.as_bytes()), engine.decode(&text).ok());
        }
    }

    #[test]
    fn base64_edge_cases() {
        let engine = base64::engine::general_purpose::STANDARD;
        for text in [
            "", "====", "a===", "aGVsbG8", "aGVsbG8=", "aGVsbG9=", "aA==", "aB==", "a=b=",
        ] {
            assert_eq!(
                decode_base64(text.as_bytes()),
                engine.decode(text).ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn reads_escapes_numbers_and_whitespace() {
        let text = " {\"error\" : {\"code\":103 ,\"message\":\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\",\"id\":7,\"y\":-0,\"x\":[1.5e3,-7,18446744073709551616,true,false,null,{}]}}\n\t{\"ping\":{}} ";
        let (frames, result) = lite_decode::<ServerFrame>(text.as_bytes());
        assert_eq!(result, Ok(2));
        let serde: Result<Vec<ServerFrame>, _> = serde_json::Deserializer::from_str(text)
            .into_iter()
            .collect();
        assert_eq!(frames, serde.unwrap());
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for text in [
            "{\"ping\":{}} trailing",
            "{\"ping\":{},}",
            "{\"error\":{\"code\":01,\"message\":\"m\"}}",
            "{\"error\":{\"code\":1.0,\"message\":\"m\"}}",
            "{\"error\":{\"code\":1,\"message\":\"\\ud800\"}}",
            "{\"error\":{\"code\":1,\"message\":\"tab\there\"}}",
            "{\"message\":{\"channel\":\"c\",\"epoch\":\"e\",\"offset\":1,\"payload\":\"aGVsbG8\"}}",
            "[1,2]",
        ] {
            let (_, result) = lite_decode::<ServerFrame>(text.as_bytes());
            assert!(matches!(result, Err(DecodeError::Malformed(_))), "{text}: {result:?}");
            assert_eq!(serde_decode::<ServerFrame>(text.as_bytes()), None, "{text}");
        }
        for text in [
            "{\"ping\":{",
            "{\"ping\":{}",
            "{\"error\":{\"code\":1",
            "{\"pi",
            "tru",
        ] {
            let (_, result) = lite_decode::<ServerFrame>(text.as_bytes());
            assert_eq!(result, Err(DecodeError::Truncated), "{text}");
        }
        let (_, result) = lite_decode::<ServerFrame>(b"{\"bogus\":{}}");
        assert_eq!(result, Err(DecodeError::UnknownFrameType("bogus".into())));
        let (_, result) = lite_decode::<ServerFrame>(b"\xff");
        assert_eq!(result, Err(DecodeError::NotUtf8));
    }
}
