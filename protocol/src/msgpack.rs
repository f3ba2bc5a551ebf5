//! The MessagePack subset frames are made of, read straight from the message's bytes.
//!
//! Writing always picks the shortest form (as `rmp` does), so the bytes are exactly what
//! the serde-based encoder of earlier versions wrote. Reading accepts every width of
//! every form (fixint to 64-bit integers, str8 to str32, bin8 to bin32, fixmap to map32)
//! and borrows strings and bytes from the input until the caller builds its values.
//!
//! Untrusted input is bounded three ways: a length is only ever compared with the bytes
//! left (nothing is allocated or reserved from a claimed length), every read checks
//! that the bytes are there (a short message is [`DecodeError::Truncated`], never a
//! panic), and nesting is counted against [`MAX_DEPTH`] so skipping an ignored value
//! recurses a bounded number of times.
//!
//! Mismatched types are [`DecodeError::Malformed`]. Before reporting one, a read
//! consumes the value's header (and a string's or binary's bytes) the way the serde
//! decoder did, so a value cut short reads as `Truncated` in the same places as before.

use bytes::Bytes;

use crate::{json_text, DecodeError, Payload};

/// Deepest nesting of maps, arrays and extension values accepted in a frame.
///
/// Frames nest six levels at most; the rest is headroom for values a newer peer may put
/// in fields this version ignores. As in the rmp-serde decoder of earlier versions, the
/// single-entry map that names an enum's variant does not count, and a value is refused
/// when it would be the 128th level, so skipping never recurses more than 127 times.
pub(crate) const MAX_DEPTH: u32 = 128;

// ----- writing ----------------------------------------------------------------------

/// Writes `len` with the fix form (`fix | len`) up to `fix_max`, else the 16- or 32-bit
/// form (`wide`, `wide + 1`).
fn write_len(buf: &mut Vec<u8>, len: usize, fix: u8, fix_max: usize, wide: u8) {
    if len <= fix_max {
        buf.push(fix | len as u8);
    } else if len <= 0xffff {
        buf.push(wide);
        buf.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        buf.push(wide + 1);
        buf.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

pub(crate) fn write_map_len(buf: &mut Vec<u8>, len: usize) {
    write_len(buf, len, 0x80, 15, 0xde);
}

pub(crate) fn write_array_len(buf: &mut Vec<u8>, len: usize) {
    write_len(buf, len, 0x90, 15, 0xdc);
}

pub(crate) fn write_str(buf: &mut Vec<u8>, s: &str) {
    if (32..=0xff).contains(&s.len()) {
        buf.extend_from_slice(&[0xd9, s.len() as u8]);
    } else {
        write_len(buf, s.len(), 0xa0, 31, 0xda);
    }
    buf.extend_from_slice(s.as_bytes());
}

pub(crate) fn write_bin(buf: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() <= 0xff {
        buf.extend_from_slice(&[0xc4, bytes.len() as u8]);
    } else {
        // bin16 is 0xc5 and bin32 0xc6: a "fix form" that never applies.
        write_len(buf, bytes.len(), 0, 0, 0xc5);
    }
    buf.extend_from_slice(bytes);
}

pub(crate) fn write_uint(buf: &mut Vec<u8>, v: u64) {
    match v {
        0..=0x7f => buf.push(v as u8),
        0x80..=0xff => buf.extend_from_slice(&[0xcc, v as u8]),
        0x100..=0xffff => {
            buf.push(0xcd);
            buf.extend_from_slice(&(v as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            buf.push(0xce);
            buf.extend_from_slice(&(v as u32).to_be_bytes());
        }
        _ => {
            buf.push(0xcf);
            buf.extend_from_slice(&v.to_be_bytes());
        }
    }
}

pub(crate) fn write_bool(buf: &mut Vec<u8>, v: bool) {
    buf.push(if v { 0xc3 } else { 0xc2 });
}

/// A key and a string value.
pub(crate) fn write_str_field(buf: &mut Vec<u8>, key: &str, value: &str) {
    write_str(buf, key);
    write_str(buf, value);
}

/// A key and an integer value.
pub(crate) fn write_uint_field(buf: &mut Vec<u8>, key: &str, value: u64) {
    write_str(buf, key);
    write_uint(buf, value);
}

// ----- reading ----------------------------------------------------------------------

/// One value's header: its type, and for strings and binaries their bytes.
pub(crate) enum Head<'a> {
    Nil,
    Bool(bool),
    /// A non-negative integer in an unsigned form.
    Uint(u64),
    /// A signed integer or a float; its bytes were consumed.
    Number,
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(u32),
    Map(u32),
    /// An extension of this many data bytes; its type byte and data follow.
    Ext(u32),
}

/// Bytes of data after an integer or float marker, or `None` for other markers.
fn number_width(marker: u8) -> Option<usize> {
    match marker {
        0xcc | 0xd0 => Some(1),
        0xcd | 0xd1 => Some(2),
        0xca | 0xce | 0xd2 => Some(4),
        0xcb | 0xcf | 0xd3 => Some(8),
        0x00..=0x7f | 0xe0..=0xff => Some(0),
        _ => None,
    }
}

#[cold]
pub(crate) fn malformed(what: &str) -> DecodeError {
    DecodeError::Malformed(what.to_owned())
}

/// `what` followed by a name in backticks, e.g. "missing field `id`".
#[cold]
pub(crate) fn malformed_named(what: &str, name: &str) -> DecodeError {
    let mut message = String::with_capacity(what.len() + name.len() + 2);
    message.push_str(what);
    message.push_str(" `");
    message.push_str(name);
    message.push('`');
    DecodeError::Malformed(message)
}

/// A variant name this version does not know, as serde's error named it: up to its
/// first backtick, at most 64 characters. A name that is not UTF-8 is malformed.
#[cold]
fn unknown_variant(name: &[u8]) -> DecodeError {
    match std::str::from_utf8(name) {
        Ok(name) => {
            let name = name.split('`').next().unwrap_or_default();
            DecodeError::UnknownFrameType(name.chars().take(64).collect())
        }
        Err(_) => malformed("string is not valid UTF-8"),
    }
}

/// A cursor over one message's bytes (public only to the sealed [`WireFrame`](crate::WireFrame)
/// codec).
pub struct Reader<'a> {
    rest: &'a [u8],
    /// Nesting levels left before [`MAX_DEPTH`] is reached.
    depth: u32,
    /// Payloads are base64 strings (frames transcoded from JSON) rather than `bin`.
    base64_payloads: bool,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self {
            rest: bytes,
            depth: MAX_DEPTH,
            base64_payloads: false,
        }
    }

    /// A reader of frames transcoded from JSON, whose payloads are base64 strings.
    #[cfg_attr(feature = "json", allow(dead_code))]
    pub(crate) fn with_base64_payloads(bytes: &'a [u8]) -> Self {
        Self {
            base64_payloads: true,
            ..Self::new(bytes)
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let (&b, rest) = self.rest.split_first().ok_or(DecodeError::Truncated)?;
        self.rest = rest;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.rest.len() {
            return Err(DecodeError::Truncated);
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    /// A big-endian unsigned integer of `width` bytes (at most 8).
    fn be(&mut self, width: usize) -> Result<u64, DecodeError> {
        Ok(self
            .take(width)?
            .iter()
            .fold(0u64, |v, &b| v << 8 | u64::from(b)))
    }

    /// A length of `width` bytes.
    fn len(&mut self, width: usize) -> Result<u32, DecodeError> {
        Ok(self.be(width)? as u32)
    }

    pub(crate) fn head(&mut self) -> Result<Head<'a>, DecodeError> {
        let marker = self.byte()?;
        Ok(match marker {
            0x80..=0x8f => Head::Map(u32::from(marker & 0x0f)),
            0x90..=0x9f => Head::Array(u32::from(marker & 0x0f)),
            0xa0..=0xbf => Head::Str(self.take(usize::from(marker & 0x1f))?),
            0xc0 => Head::Nil,
            0xc2 | 0xc3 => Head::Bool(marker == 0xc3),
            0x00..=0x7f => Head::Uint(u64::from(marker)),
            0xcc..=0xcf => Head::Uint(self.be(1 << (marker - 0xcc))?),
            0xc4..=0xc6 => {
                let n = self.len(1 << (marker - 0xc4))?;
                Head::Bin(self.take(n as usize)?)
            }
            0xc7..=0xc9 => Head::Ext(self.len(1 << (marker - 0xc7))?),
            0xd4..=0xd8 => Head::Ext(1 << (marker - 0xd4)),
            0xd9..=0xdb => {
                let n = self.len(1 << (marker - 0xd9))?;
                Head::Str(self.take(n as usize)?)
            }
            0xdc | 0xdd => Head::Array(self.len(2 << (marker - 0xdc))?),
            0xde | 0xdf => Head::Map(self.len(2 << (marker - 0xde))?),
            0xc1 => return Err(malformed("reserved MessagePack marker 0xc1")),
            _ => {
                // Integers and floats, the only markers left.
                self.take(number_width(marker).unwrap_or(0))?;
                Head::Number
            }
        })
    }

    /// Enters a map, array or extension.
    fn enter(&mut self) -> Result<(), DecodeError> {
        self.depth -= 1;
        if self.depth == 0 {
            return Err(malformed("values nested too deep"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth += 1;
    }

    /// Skips one value of any type (an ignored field's).
    pub(crate) fn skip(&mut self) -> Result<(), DecodeError> {
        match self.head()? {
            Head::Array(n) => {
                self.enter()?;
                for _ in 0..n {
                    self.skip()?;
                }
                self.leave();
            }
            Head::Map(n) => {
                self.enter()?;
                for _ in 0..n {
                    self.skip()?;
                    self.skip()?;
                }
                self.leave();
            }
            Head::Ext(n) => {
                self.enter()?;
                self.take(1)?;
                self.take(n as usize)?;
                self.leave();
            }
            _ => {}
        }
        Ok(())
    }

    /// Takes a `nil` if one comes next (an absent optional field).
    pub(crate) fn nil(&mut self) -> bool {
        if self.rest.first() == Some(&0xc0) {
            self.rest = &self.rest[1..];
            return true;
        }
        false
    }

    /// An unsigned integer of any width. Negative integers, floats and other types are
    /// malformed; integers and floats are consumed first, other types are not.
    pub(crate) fn uint(&mut self) -> Result<u64, DecodeError> {
        let marker = self.byte()?;
        match marker {
            0x00..=0x7f => Ok(u64::from(marker)),
            0xcc..=0xcf => self.be(1 << (marker - 0xcc)),
            0xd0..=0xd3 => {
                let width = 1 << (marker - 0xd0);
                let v = self.be(width)?;
                if v >> (8 * width - 1) != 0 {
                    return Err(malformed("negative integer"));
                }
                Ok(v)
            }
            _ => {
                if let Some(width) = number_width(marker) {
                    self.take(width)?;
                }
                Err(malformed("expected an unsigned integer"))
            }
        }
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        u16::try_from(self.uint()?).map_err(|_| malformed("integer out of range for u16"))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        u32::try_from(self.uint()?).map_err(|_| malformed("integer out of range for u32"))
    }

    pub(crate) fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.byte()? {
            0xc2 => Ok(false),
            0xc3 => Ok(true),
            marker => {
                if let Some(width) = number_width(marker) {
                    self.take(width)?;
                }
                Err(malformed("expected a boolean"))
            }
        }
    }

    /// A string, borrowed from the input.
    pub(crate) fn str(&mut self) -> Result<&'a str, DecodeError> {
        match self.head()? {
            Head::Str(bytes) => {
                std::str::from_utf8(bytes).map_err(|_| malformed("string is not valid UTF-8"))
            }
            _ => Err(malformed("expected a string")),
        }
    }

    pub(crate) fn string(&mut self) -> Result<String, DecodeError> {
        self.str().map(str::to_owned)
    }

    /// An optional string: absent when `nil`.
    pub(crate) fn opt_string(&mut self) -> Result<Option<String>, DecodeError> {
        if self.nil() {
            return Ok(None);
        }
        self.string().map(Some)
    }

    /// A payload: `bin`, or a base64 string in frames transcoded from JSON.
    pub(crate) fn payload(&mut self) -> Result<Payload, DecodeError> {
        // Constant false in a build without JSON, which then leaves the base64 path out.
        let base64 = cfg!(any(feature = "json", feature = "json-text")) && self.base64_payloads;
        match self.head()? {
            Head::Bin(bytes) if !base64 => Ok(Payload(Bytes::copy_from_slice(bytes))),
            Head::Str(text) if base64 => json_text::decode_base64(text)
                .map(Payload::from)
                .ok_or_else(|| malformed("payload is not valid base64")),
            _ if base64 => Err(malformed("expected a base64 string")),
            _ => Err(malformed("expected binary data")),
        }
    }

    /// An array, each item read by `item`.
    pub(crate) fn array<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let n = match self.head()? {
            Head::Array(n) => n,
            _ => return Err(malformed("expected an array")),
        };
        self.enter()?;
        // Not reserved from the claimed length: the items grow the vector as they
        // are really there.
        let mut items = Vec::new();
        for _ in 0..n {
            items.push(item(self)?);
        }
        self.leave();
        Ok(items)
    }

    /// Reads a struct: a map of named fields. Calls `field` with the index in `names` of
    /// every known key, which must then read its value; skips the values of unknown keys.
    /// Returns the fields seen (bit `i` for `names[i]`).
    pub(crate) fn fields(
        &mut self,
        names: &[&str],
        field: &mut dyn FnMut(&mut Self, usize) -> Result<(), DecodeError>,
    ) -> Result<u32, DecodeError> {
        let n = match self.head()? {
            Head::Map(n) => n,
            _ => return Err(malformed("expected a map of fields")),
        };
        self.enter()?;
        let mut seen = 0u32;
        for _ in 0..n {
            let key = match self.head()? {
                Head::Str(key) => key,
                _ => return Err(malformed("field name is not a string")),
            };
            match names.iter().position(|name| name.as_bytes() == key) {
                Some(i) => {
                    if seen & 1 << i != 0 {
                        return Err(malformed_named("duplicate field", names[i]));
                    }
                    seen |= 1 << i;
                    field(self, i)?;
                }
                None => self.skip()?,
            }
        }
        self.leave();
        Ok(seen)
    }

    /// Reads an externally tagged enum's variant name: `{"name": value}` (the value
    /// follows; returns true) or a bare `"name"` (a variant without data; returns
    /// false). Returns the index of the name in `names`.
    pub(crate) fn variant(&mut self, names: &[&str]) -> Result<(usize, bool), DecodeError> {
        let (name, has_value) = match self.head()? {
            Head::Map(1) => match self.head()? {
                Head::Str(name) => (name, true),
                _ => return Err(malformed("variant name is not a string")),
            },
            Head::Map(_) => return Err(malformed("expected a map of one entry")),
            Head::Str(name) => (name, false),
            _ => return Err(malformed("expected a map of one entry")),
        };
        match names.iter().position(|n| n.as_bytes() == name) {
            Some(i) => Ok((i, has_value)),
            None => Err(unknown_variant(name)),
        }
    }

    /// The value of a variant without data given in a map: `nil`.
    pub(crate) fn unit(&mut self) -> Result<(), DecodeError> {
        match self.byte()? {
            0xc0 => Ok(()),
            _ => Err(malformed("expected nil")),
        }
    }
}

/// The value of a required field, or a malformed-frame error naming it.
pub(crate) fn required<T>(value: Option<T>, name: &str) -> Result<T, DecodeError> {
    value.ok_or_else(|| malformed_named("missing field", name))
}
