//! JS values ↔ MessagePack payloads.
//!
//! Payloads are MessagePack so that Rust clients (`Payload::encode`/`decode`, maps with
//! field names) and JS clients read each other's messages. The mapping follows what the
//! structured-clone algorithm can carry:
//!
//! | JS                                   | MessagePack                      | back to JS |
//! |--------------------------------------|----------------------------------|------------|
//! | `null`, `undefined`                  | nil                              | `null` |
//! | boolean, string                      | bool, str                        | same |
//! | number that is a safe integer        | int                              | number |
//! | other number                         | float 64                         | number |
//! | `bigint`                             | int (64-bit range)               | number if safe, else `bigint` |
//! | `Uint8Array`, `ArrayBuffer`, views   | bin                              | `Uint8Array` |
//! | `Array`, `Set`                       | array                            | `Array` |
//! | plain object                         | map with string keys             | plain object |
//! | `Map`                                | map                              | object if every key is a string, else `Map` |
//! | `Date`                               | timestamp extension (-1)         | `Date` |
//!
//! Incoming messages take a fast path: a payload that JSON can represent exactly is
//! transcoded straight to JSON text inside the module, and a whole batch of messages
//! crosses to JS as one string for one `JSON.parse`. Building the same values through
//! wasm-bindgen costs several boundary crossings per field; this costs one per batch.
//! Anything JSON cannot carry exactly (bin, big integers, non-finite floats, non-string
//! keys, extensions) is built value by value instead ([`to_js`]).

use js_sys::{Array, ArrayBuffer, Date, Map, Number, Object, Set, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

/// Deepest nesting converted either way (also stops cycles in JS values).
const MAX_DEPTH: usize = 64;
/// MessagePack extension type of timestamps.
const TIMESTAMP_EXT: i8 = -1;
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why a value could not be converted.
#[derive(Debug)]
pub(crate) enum ConvertError {
    /// A JS value with no MessagePack form (function, symbol, cycle, bigint out of range).
    Unsupported(&'static str),
    /// Bytes that are not one well-formed MessagePack value.
    Malformed,
}

impl ConvertError {
    pub(crate) fn message(&self) -> String {
        match self {
            ConvertError::Unsupported(what) => ["cannot encode ", what, " as a payload"].concat(),
            ConvertError::Malformed => "payload is not valid MessagePack".to_owned(),
        }
    }
}

// ----- JS → MessagePack -------------------------------------------------------------

/// Encodes a JS value as one MessagePack value.
pub(crate) fn to_msgpack(value: &JsValue) -> Result<Vec<u8>, ConvertError> {
    let mut out = Vec::with_capacity(32);
    write_js(value, &mut out, 0)?;
    Ok(out)
}

fn write_js(value: &JsValue, out: &mut Vec<u8>, depth: usize) -> Result<(), ConvertError> {
    if depth > MAX_DEPTH {
        return Err(ConvertError::Unsupported(
            "a value nested this deep (or a cycle)",
        ));
    }
    if value.is_null() || value.is_undefined() {
        out.push(0xc0);
    } else if let Some(b) = value.as_bool() {
        out.push(if b { 0xc3 } else { 0xc2 });
    } else if let Some(n) = value.as_f64() {
        if Number::is_safe_integer(value) {
            write_int(n as i64, out);
        } else {
            out.push(0xcb);
            out.extend_from_slice(&n.to_be_bytes());
        }
    } else if let Some(s) = value.as_string() {
        write_str(&s, out);
    } else if value.is_bigint() {
        if let Ok(i) = i64::try_from(value.clone()) {
            write_int(i, out);
        } else if let Ok(u) = u64::try_from(value.clone()) {
            out.push(0xcf);
            out.extend_from_slice(&u.to_be_bytes());
        } else {
            return Err(ConvertError::Unsupported(
                "a bigint outside the 64-bit range",
            ));
        }
    } else if Array::is_array(value) {
        let array: &Array = value.unchecked_ref();
        write_len(array.length(), [0x90, 0xdc, 0xdd], 15, out);
        for item in array.iter() {
            write_js(&item, out, depth + 1)?;
        }
    } else if let Some(bytes) = bytes_of(value) {
        write_bin(&bytes, out);
    } else if let Some(date) = value.dyn_ref::<Date>() {
        write_timestamp(date.get_time(), out)?;
    } else if let Some(map) = value.dyn_ref::<Map>() {
        write_len(map.size(), [0x80, 0xde, 0xdf], 15, out);
        let mut failed = None;
        map.for_each(&mut |v, k| {
            if failed.is_none() {
                failed = write_js(&k, out, depth + 1)
                    .and_then(|()| write_js(&v, out, depth + 1))
                    .err();
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
    } else if let Some(set) = value.dyn_ref::<Set>() {
        write_len(set.size(), [0x90, 0xdc, 0xdd], 15, out);
        let mut failed = None;
        set.for_each(&mut |v, _, _| {
            if failed.is_none() {
                failed = write_js(&v, out, depth + 1).err();
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
    } else if value.is_function() {
        return Err(ConvertError::Unsupported("a function"));
    } else if value.is_symbol() {
        return Err(ConvertError::Unsupported("a symbol"));
    } else if value.is_object() {
        let entries = Object::entries(value.unchecked_ref());
        write_len(entries.length(), [0x80, 0xde, 0xdf], 15, out);
        for entry in entries.iter() {
            let entry: Array = entry.unchecked_into();
            write_js(&entry.get(0), out, depth + 1)?;
            write_js(&entry.get(1), out, depth + 1)?;
        }
    } else {
        return Err(ConvertError::Unsupported("this kind of value"));
    }
    Ok(())
}

/// The bytes of a `Uint8Array`, `ArrayBuffer` or any other `ArrayBuffer` view.
fn bytes_of(value: &JsValue) -> Option<Vec<u8>> {
    if let Some(array) = value.dyn_ref::<Uint8Array>() {
        return Some(array.to_vec());
    }
    if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
        return Some(Uint8Array::new(buffer).to_vec());
    }
    if ArrayBuffer::is_view(value) {
        let view: &js_sys::DataView = value.unchecked_ref();
        let bytes = Uint8Array::new_with_byte_offset_and_length(
            &view.buffer(),
            view.byte_offset() as u32,
            view.byte_length() as u32,
        );
        return Some(bytes.to_vec());
    }
    None
}

fn write_int(i: i64, out: &mut Vec<u8>) {
    match i {
        0..=127 => out.push(i as u8),
        -32..=-1 => out.push(i as i8 as u8),
        128..=0xff => out.extend_from_slice(&[0xcc, i as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(i as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(i as u32).to_be_bytes());
        }
        -128..=-33 => out.extend_from_slice(&[0xd0, i as i8 as u8]),
        -32768..=-129 => {
            out.push(0xd1);
            out.extend_from_slice(&(i as i16).to_be_bytes());
        }
        -2_147_483_648..=-32769 => {
            out.push(0xd2);
            out.extend_from_slice(&(i as i32).to_be_bytes());
        }
        i if i > 0 => {
            out.push(0xcf);
            out.extend_from_slice(&(i as u64).to_be_bytes());
        }
        i => {
            out.push(0xd3);
            out.extend_from_slice(&i.to_be_bytes());
        }
    }
}

/// Writes a length header: `markers` are the fix (OR-ed with the length), 16-bit and
/// 32-bit forms; `fix_max` the largest length of the fix form.
fn write_len(len: u32, markers: [u8; 3], fix_max: u32, out: &mut Vec<u8>) {
    if len <= fix_max {
        out.push(markers[0] | len as u8);
    } else if len <= 0xffff {
        out.push(markers[1]);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(markers[2]);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    let len = s.len() as u32;
    if len <= 31 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else {
        write_len(len, [0xa0, 0xda, 0xdb], 0, out);
    }
    out.extend_from_slice(s.as_bytes());
}

fn write_bin(bytes: &[u8], out: &mut Vec<u8>) {
    let len = bytes.len() as u32;
    if len <= 0xff {
        out.extend_from_slice(&[0xc4, len as u8]);
    } else if len <= 0xffff {
        out.push(0xc5);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&len.to_be_bytes());
    }
    out.extend_from_slice(bytes);
}

/// A `Date` as the timestamp 96 extension (nanoseconds, then signed seconds).
fn write_timestamp(ms: f64, out: &mut Vec<u8>) -> Result<(), ConvertError> {
    if !ms.is_finite() {
        return Err(ConvertError::Unsupported("an invalid Date"));
    }
    let secs = (ms / 1000.0).floor();
    let nanos = ((ms - secs * 1000.0) * 1_000_000.0).round() as u32;
    out.extend_from_slice(&[0xc7, 12, TIMESTAMP_EXT as u8]);
    out.extend_from_slice(&nanos.min(999_999_999).to_be_bytes());
    out.extend_from_slice(&(secs as i64).to_be_bytes());
    Ok(())
}

// ----- MessagePack reading ------------------------------------------------------------

/// One MessagePack item; arrays and maps give their length, their items follow.
enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(u32),
    Map(u32),
    Ext(i8, &'a [u8]),
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ConvertError> {
        if self.buf.len() < n {
            return Err(ConvertError::Malformed);
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], ConvertError> {
        let mut b = [0; N];
        b.copy_from_slice(self.take(N)?);
        Ok(b)
    }

    fn len(&mut self, width: usize) -> Result<usize, ConvertError> {
        Ok(match width {
            1 => self.be::<1>()?[0] as usize,
            2 => u16::from_be_bytes(self.be()?) as usize,
            _ => u32::from_be_bytes(self.be()?) as usize,
        })
    }

    fn next(&mut self) -> Result<Item<'a>, ConvertError> {
        let marker = self.be::<1>()?[0];
        Ok(match marker {
            0x00..=0x7f => Item::Uint(u64::from(marker)),
            0x80..=0x8f => Item::Map(u32::from(marker & 0x0f)),
            0x90..=0x9f => Item::Array(u32::from(marker & 0x0f)),
            0xa0..=0xbf => Item::Str(self.take(usize::from(marker & 0x1f))?),
            0xc0 => Item::Nil,
            0xc2 => Item::Bool(false),
            0xc3 => Item::Bool(true),
            0xc4..=0xc6 => {
                let n = self.len(1 << (marker - 0xc4))?;
                Item::Bin(self.take(n)?)
            }
            0xc7..=0xc9 => {
                let n = self.len(1 << (marker - 0xc7))?;
                let ty = self.be::<1>()?[0] as i8;
                Item::Ext(ty, self.take(n)?)
            }
            0xca => Item::Float(f64::from(f32::from_be_bytes(self.be()?))),
            0xcb => Item::Float(f64::from_be_bytes(self.be()?)),
            0xcc => Item::Uint(u64::from(self.be::<1>()?[0])),
            0xcd => Item::Uint(u64::from(u16::from_be_bytes(self.be()?))),
            0xce => Item::Uint(u64::from(u32::from_be_bytes(self.be()?))),
            0xcf => Item::Uint(u64::from_be_bytes(self.be()?)),
            0xd0 => Item::Int(i64::from(self.be::<1>()?[0] as i8)),
            0xd1 => Item::Int(i64::from(i16::from_be_bytes(self.be()?))),
            0xd2 => Item::Int(i64::from(i32::from_be_bytes(self.be()?))),
            0xd3 => Item::Int(i64::from_be_bytes(self.be()?)),
            0xd4..=0xd8 => {
                let ty = self.be::<1>()?[0] as i8;
                Item::Ext(ty, self.take(1 << (marker - 0xd4))?)
            }
            0xd9..=0xdb => {
                let n = self.len(1 << (marker - 0xd9))?;
                Item::Str(self.take(n)?)
            }
            0xdc | 0xdd => Item::Array(self.len(2 << (marker - 0xdc))? as u32),
            0xde | 0xdf => Item::Map(self.len(2 << (marker - 0xde))? as u32),
            0xe0..=0xff => Item::Int(i64::from(marker as i8)),
            0xc1 => return Err(ConvertError::Malformed),
        })
    }
}

// ----- MessagePack → JSON text (fast path) --------------------------------------------

/// Why a payload did not go to JSON.
pub(crate) enum JsonError {
    /// Valid, but JSON cannot carry it exactly: convert with [`to_js`].
    NotRepresentable,
    /// Not valid MessagePack.
    Malformed,
}

impl From<ConvertError> for JsonError {
    fn from(_: ConvertError) -> Self {
        JsonError::Malformed
    }
}

/// Appends the JSON text of the MessagePack value in `bytes` to `out`. On error `out`
/// may hold a partial value: the caller truncates it.
pub(crate) fn write_json(bytes: &[u8], out: &mut String) -> Result<(), JsonError> {
    let mut reader = Reader { buf: bytes };
    json_value(&mut reader, out, 0)?;
    if !reader.buf.is_empty() {
        return Err(JsonError::Malformed);
    }
    Ok(())
}

fn json_value(r: &mut Reader<'_>, out: &mut String, depth: usize) -> Result<(), JsonError> {
    if depth > MAX_DEPTH {
        return Err(JsonError::NotRepresentable);
    }
    match r.next()? {
        Item::Nil => out.push_str("null"),
        Item::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Item::Uint(u) if u <= MAX_SAFE_INTEGER => push_u64(u, out),
        Item::Int(i) if i.unsigned_abs() <= MAX_SAFE_INTEGER => {
            if i < 0 {
                out.push('-');
            }
            push_u64(i.unsigned_abs(), out);
        }
        Item::Float(f) if f.is_finite() => push_f64(f, out),
        Item::Str(s) => push_json_str(s, out)?,
        Item::Array(n) => {
            out.push('[');
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                json_value(r, out, depth + 1)?;
            }
            out.push(']');
        }
        Item::Map(n) => {
            out.push('{');
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                match r.next()? {
                    Item::Str(key) => push_json_str(key, out)?,
                    _ => return Err(JsonError::NotRepresentable),
                }
                out.push(':');
                json_value(r, out, depth + 1)?;
            }
            out.push('}');
        }
        _ => return Err(JsonError::NotRepresentable),
    }
    Ok(())
}

/// Appends a finite float as JavaScript writes it (`Number.prototype.toString`), which
/// `JSON.parse` reads back to the same number. Rust's float formatting would add a good
/// share of the module's size for the same text.
fn push_f64(f: f64, out: &mut String) {
    if f == 0.0 && f.is_sign_negative() {
        // JavaScript writes -0 as "0"; JSON keeps the sign.
        out.push_str("-0");
    } else if let Ok(text) = Number::from(f).to_string_with_radix(10) {
        out.push_str(&String::from(text));
    } else {
        out.push_str("null");
    }
}

/// Appends the decimal digits of `u`.
pub(crate) fn push_u64(mut u: u64, out: &mut String) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&digits[i..]).unwrap_or("0"));
}

fn push_json_str(bytes: &[u8], out: &mut String) -> Result<(), JsonError> {
    let s = std::str::from_utf8(bytes).map_err(|_| JsonError::NotRepresentable)?;
    push_json_string(s, out);
    Ok(())
}

/// Appends `s` as a JSON string literal.
pub(crate) fn push_json_string(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

// ----- MessagePack → JS values --------------------------------------------------------

/// Builds the JS value of a MessagePack payload (see the table in the module docs).
pub(crate) fn to_js(bytes: &[u8]) -> Result<JsValue, ConvertError> {
    let mut reader = Reader { buf: bytes };
    let value = js_value(&mut reader, 0)?;
    if !reader.buf.is_empty() {
        return Err(ConvertError::Malformed);
    }
    Ok(value)
}

fn js_value(r: &mut Reader<'_>, depth: usize) -> Result<JsValue, ConvertError> {
    if depth > MAX_DEPTH {
        return Err(ConvertError::Unsupported("a value nested this deep"));
    }
    Ok(match r.next()? {
        Item::Nil => JsValue::NULL,
        Item::Bool(b) => JsValue::from_bool(b),
        Item::Uint(u) if u <= MAX_SAFE_INTEGER => JsValue::from_f64(u as f64),
        Item::Uint(u) => JsValue::from(u),
        Item::Int(i) if i.unsigned_abs() <= MAX_SAFE_INTEGER => JsValue::from_f64(i as f64),
        Item::Int(i) => JsValue::from(i),
        Item::Float(f) => JsValue::from_f64(f),
        Item::Str(s) => JsValue::from_str(&String::from_utf8_lossy(s)),
        Item::Bin(b) => Uint8Array::from(b).into(),
        Item::Array(n) => {
            let array = Array::new_with_length(n);
            for i in 0..n {
                array.set(i, js_value(r, depth + 1)?);
            }
            array.into()
        }
        Item::Map(n) => {
            // Entries first: a plain object when every key is a string (built with
            // `Object.fromEntries`, so a `__proto__` key stays an own property), else a
            // `Map`.
            let entries = Array::new_with_length(n);
            let mut all_strings = true;
            for i in 0..n {
                let key = js_value(r, depth + 1)?;
                all_strings &= key.is_string();
                let value = js_value(r, depth + 1)?;
                entries.set(i, Array::of2(&key, &value).into());
            }
            if all_strings {
                Object::from_entries(&entries)
                    .map_err(|_| ConvertError::Malformed)?
                    .into()
            } else {
                let map = Map::new();
                for entry in entries.iter() {
                    let entry: Array = entry.unchecked_into();
                    map.set(&entry.get(0), &entry.get(1));
                }
                map.into()
            }
        }
        Item::Ext(TIMESTAMP_EXT, data) => Date::new(&JsValue::from_f64(timestamp_ms(data)?)).into(),
        Item::Ext(ty, data) => {
            let ext = Object::new();
            let _ = js_sys::Reflect::set(&ext, &"type".into(), &JsValue::from(ty));
            let _ = js_sys::Reflect::set(&ext, &"data".into(), &Uint8Array::from(data));
            ext.into()
        }
    })
}

/// Milliseconds since the epoch of a timestamp extension (32, 64 or 96 bits).
fn timestamp_ms(data: &[u8]) -> Result<f64, ConvertError> {
    let (secs, nanos) = match data.len() {
        4 => (
            i64::from(u32::from_be_bytes(
                data.try_into().map_err(|_| ConvertError::Malformed)?,
            )),
            0,
        ),
        8 => {
            let v = u64::from_be_bytes(data.try_into().map_err(|_| ConvertError::Malformed)?);
            ((v & 0x3_ffff_ffff) as i64, (v >> 34) as u32)
        }
        12 => {
            let nanos =
                u32::from_be_bytes(data[..4].try_into().map_err(|_| ConvertError::Malformed)?);
            let secs =
                i64::from_be_bytes(data[4..].try_into().map_err(|_| ConvertError::Malformed)?);
            (secs, nanos)
        }
        _ => return Err(ConvertError::Malformed),
    };
    Ok(secs as f64 * 1000.0 + f64::from(nanos) / 1_000_000.0)
}
