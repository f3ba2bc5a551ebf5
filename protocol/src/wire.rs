//! The frames as MessagePack, written and read by hand.
//!
//! The shape is the one `docs/PROTOCOL.md` describes and serde's derives produce for
//! JSON: an enum is a map of one entry `{"variant": value}` (a variant without data is
//! the bare string of its name), a struct is a map keyed by field name, an absent
//! optional field is left out (and `nil` reads as absent), unknown fields are skipped.
//! Each type below lists its field names once; the writer and the reader follow the
//! same order, which is the declaration order of the fields.
//!
//! Hand-written rather than derived: rmp-serde decoding went through `std::io::Read`
//! and a visitor per type, which made it the largest and slowest part of a browser
//! client. Tests check the bytes against the serde encoder and both decoders against
//! each other (`protocol/tests/msgpack_codec.rs`).

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::msgpack::{
    malformed_named, required, write_array_len, write_bin, write_bool, write_map_len, write_str,
    write_str_field, write_uint_field, Reader,
};
use crate::{
    CallResult, ClientFrame, ClientInfo, DecodeError, ErrorBody, Payload, Position, PresenceEvent,
    PresenceMember, ServerFrame, SubscribeOutcome,
};

/// A value that travels as one frame: [`ClientFrame`] and [`ServerFrame`], and the enums
/// they carry ([`SubscribeOutcome`], [`PresenceEvent`], [`CallResult`]), which
/// [`Encoding`](crate::Encoding) can encode and decode on their own too.
///
/// Sealed: the MessagePack codec is written by hand for each of these types.
pub trait WireFrame: Serialize + DeserializeOwned + sealed::MsgPack {}

pub(crate) mod sealed {
    use crate::msgpack::Reader;
    use crate::DecodeError;

    /// The hand-written MessagePack codec of a [`WireFrame`](super::WireFrame).
    pub trait MsgPack: Sized {
        /// Appends the value's MessagePack bytes.
        fn write_msgpack(&self, buf: &mut Vec<u8>);
        /// Reads one value.
        fn read_msgpack(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
    }
}

use sealed::MsgPack;

/// `{"name": {` with `fields` entries to follow.
fn write_variant(buf: &mut Vec<u8>, name: &str, fields: usize) {
    buf.push(0x81);
    write_str(buf, name);
    write_map_len(buf, fields);
}

fn write_opt_str_field(buf: &mut Vec<u8>, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        write_str_field(buf, key, value);
    }
}

fn write_bin_field(buf: &mut Vec<u8>, key: &str, payload: &Payload) {
    write_str(buf, key);
    write_bin(buf, payload.as_bytes());
}

/// The variant index of an enum whose variants all carry fields.
fn struct_variant(r: &mut Reader<'_>, names: &[&str]) -> Result<usize, DecodeError> {
    let (i, has_value) = r.variant(names)?;
    if !has_value {
        return Err(malformed_named("expected the fields of", names[i]));
    }
    Ok(i)
}

/// Reads a struct with no fields, ignoring whatever a newer peer put in it.
fn no_fields(r: &mut Reader<'_>) -> Result<(), DecodeError> {
    r.fields(&[], &mut |_, _| Ok(())).map(drop)
}

// ----- nested types -------------------------------------------------------------------

const POSITION: [&str; 2] = ["epoch", "offset"];

fn write_position(buf: &mut Vec<u8>, p: &Position) {
    write_map_len(buf, 2);
    write_str_field(buf, POSITION[0], &p.epoch);
    write_uint_field(buf, POSITION[1], p.offset);
}

fn read_position(r: &mut Reader<'_>) -> Result<Position, DecodeError> {
    let (mut epoch, mut offset) = (None, None);
    r.fields(&POSITION, &mut |r, i| {
        match i {
            0 => epoch = Some(r.string()?),
            _ => offset = Some(r.uint()?),
        }
        Ok(())
    })?;
    Ok(Position {
        epoch: required(epoch, POSITION[0])?,
        offset: required(offset, POSITION[1])?,
    })
}

const CLIENT_INFO: [&str; 2] = ["name", "version"];

fn write_client_info(buf: &mut Vec<u8>, c: &ClientInfo) {
    write_map_len(buf, 2);
    write_str_field(buf, CLIENT_INFO[0], &c.name);
    write_str_field(buf, CLIENT_INFO[1], &c.version);
}

fn read_client_info(r: &mut Reader<'_>) -> Result<ClientInfo, DecodeError> {
    let (mut name, mut version) = (None, None);
    r.fields(&CLIENT_INFO, &mut |r, i| {
        match i {
            0 => name = Some(r.string()?),
            _ => version = Some(r.string()?),
        }
        Ok(())
    })?;
    Ok(ClientInfo {
        name: required(name, CLIENT_INFO[0])?,
        version: required(version, CLIENT_INFO[1])?,
    })
}

const MEMBER: [&str; 2] = ["session", "user"];

fn write_member(buf: &mut Vec<u8>, m: &PresenceMember) {
    write_map_len(buf, 1 + usize::from(m.user.is_some()));
    write_str_field(buf, MEMBER[0], &m.session);
    write_opt_str_field(buf, MEMBER[1], &m.user);
}

fn read_member(r: &mut Reader<'_>) -> Result<PresenceMember, DecodeError> {
    let (mut session, mut user) = (None, None);
    r.fields(&MEMBER, &mut |r, i| {
        match i {
            0 => session = Some(r.string()?),
            _ => user = r.opt_string()?,
        }
        Ok(())
    })?;
    Ok(PresenceMember {
        session: required(session, MEMBER[0])?,
        user,
    })
}

const ERROR_BODY: [&str; 2] = ["code", "message"];

fn write_error_body(buf: &mut Vec<u8>, e: &ErrorBody) {
    write_map_len(buf, 2);
    write_uint_field(buf, ERROR_BODY[0], e.code.into());
    write_str_field(buf, ERROR_BODY[1], &e.message);
}

fn read_error_body(r: &mut Reader<'_>) -> Result<ErrorBody, DecodeError> {
    let (mut code, mut message) = (None, None);
    r.fields(&ERROR_BODY, &mut |r, i| {
        match i {
            0 => code = Some(r.u16()?),
            _ => message = Some(r.string()?),
        }
        Ok(())
    })?;
    Ok(ErrorBody {
        code: required(code, ERROR_BODY[0])?,
        message: required(message, ERROR_BODY[1])?,
    })
}

const OUTCOMES: [&str; 3] = ["fresh", "recovered", "reset"];

impl MsgPack for SubscribeOutcome {
    fn write_msgpack(&self, buf: &mut Vec<u8>) {
        match self {
            SubscribeOutcome::Fresh => write_str(buf, OUTCOMES[0]),
            SubscribeOutcome::Recovered { replayed } => {
                write_variant(buf, OUTCOMES[1], 1);
                write_uint_field(buf, "replayed", *replayed);
            }
            SubscribeOutcome::Reset => write_str(buf, OUTCOMES[2]),
        }
    }

    fn read_msgpack(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (i, has_value) = r.variant(&OUTCOMES)?;
        if i == 1 {
            if !has_value {
                return Err(malformed_named("expected the fields of", OUTCOMES[1]));
            }
            let mut replayed = None;
            r.fields(&["replayed"], &mut |r, _| {
                replayed = Some(r.uint()?);
                Ok(())
            })?;
            return Ok(SubscribeOutcome::Recovered {
                replayed: required(replayed, "replayed")?,
            });
        }
        // `{"fresh": nil}` is the map form of the bare string.
        if has_value {
            r.unit()?;
        }
        Ok(if i == 0 {
            SubscribeOutcome::Fresh
        } else {
            SubscribeOutcome::Reset
        })
    }
}

const PRESENCE_EVENTS: [&str; 3] = ["snapshot", "join", "leave"];

impl MsgPack for PresenceEvent {
    fn write_msgpack(&self, buf: &mut Vec<u8>) {
        match self {
            PresenceEvent::Snapshot { members } => {
                write_variant(buf, PRESENCE_EVENTS[0], 1);
                write_str(buf, "members");
                write_array_len(buf, members.len());
                for m in members {
                    write_member(buf, m);
                }
            }
            PresenceEvent::Join { member } | PresenceEvent::Leave { member } => {
                let name = match self {
                    PresenceEvent::Join { .. } => PRESENCE_EVENTS[1],
                    _ => PRESENCE_EVENTS[2],
                };
                write_variant(buf, name, 1);
                write_str(buf, "member");
                write_member(buf, member);
            }
        }
    }

    fn read_msgpack(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let i = struct_variant(r, &PRESENCE_EVENTS)?;
        if i == 0 {
            let mut members = None;
            r.fields(&["members"], &mut |r, _| {
                members = Some(r.array(read_member)?);
                Ok(())
            })?;
            return Ok(PresenceEvent::Snapshot {
                members: required(members, "members")?,
            });
        }
        let mut member = None;
        r.fields(&["member"], &mut |r, _| {
            member = Some(read_member(r)?);
            Ok(())
        })?;
        let member = required(member, "member")?;
        Ok(if i == 1 {
            PresenceEvent::Join { member }
        } else {
            PresenceEvent::Leave { member }
        })
    }
}

const CALL_RESULTS: [&str; 2] = ["ok", "err"];

impl MsgPack for CallResult {
    fn write_msgpack(&self, buf: &mut Vec<u8>) {
        buf.push(0x81);
        match self {
            CallResult::Ok(p) => {
                write_str(buf, CALL_RESULTS[0]);
                write_bin(buf, p.as_bytes());
            }
            CallResult::Err(e) => {
                write_str(buf, CALL_RESULTS[1]);
                write_error_body(buf, e);
            }
        }
    }

    fn read_msgpack(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match struct_variant(r, &CALL_RESULTS)? {
            0 => CallResult::Ok(r.payload()?),
            _ => CallResult::Err(read_error_body(r)?),
        })
    }
}

// ----- client frames ------------------------------------------------------------------

const CLIENT_FRAMES: [&str; 7] = [
    "connect",
    "subscribe",
    "unsubscribe",
    "publish",
    "call",
    "ping",
    "pong",
];
const CONNECT: [&str; 4] = ["version", "token", "client", "resume"];
const SUBSCRIBE: [&str; 3] = ["id", "channel", "since"];
const UNSUBSCRIBE: [&str; 2] = ["id", "channel"];
const PUBLISH: [&str; 4] = ["id", "channel", "msg_id", "payload"];
const CALL: [&str; 3] = ["id", "method", "payload"];

impl MsgPack for ClientFrame {
    fn write_msgpack(&self, buf: &mut Vec<u8>) {
        match self {
            ClientFrame::Connect {
                version,
                token,
                client,
                resume,
            } => {
                let fields = 2 + usize::from(token.is_some()) + usize::from(resume.is_some());
                write_variant(buf, CLIENT_FRAMES[0], fields);
                write_uint_field(buf, CONNECT[0], (*version).into());
                write_opt_str_field(buf, CONNECT[1], token);
                write_str(buf, CONNECT[2]);
                write_client_info(buf, client);
                write_opt_str_field(buf, CONNECT[3], resume);
            }
            ClientFrame::Subscribe { id, channel, since } => {
                write_variant(buf, CLIENT_FRAMES[1], 2 + usize::from(since.is_some()));
                write_uint_field(buf, SUBSCRIBE[0], *id);
                write_str_field(buf, SUBSCRIBE[1], channel);
                if let Some(since) = since {
                    write_str(buf, SUBSCRIBE[2]);
                    write_position(buf, since);
                }
            }
            ClientFrame::Unsubscribe { id, channel } => {
                write_variant(buf, CLIENT_FRAMES[2], 2);
                write_uint_field(buf, UNSUBSCRIBE[0], *id);
                write_str_field(buf, UNSUBSCRIBE[1], channel);
            }
            ClientFrame::Publish {
                id,
                channel,
                msg_id,
                payload,
            } => {
                write_variant(buf, CLIENT_FRAMES[3], 4);
                write_uint_field(buf, PUBLISH[0], *id);
                write_str_field(buf, PUBLISH[1], channel);
                write_str_field(buf, PUBLISH[2], msg_id);
                write_bin_field(buf, PUBLISH[3], payload);
            }
            ClientFrame::Call {
                id,
                method,
                payload,
            } => {
                write_variant(buf, CLIENT_FRAMES[4], 3);
                write_uint_field(buf, CALL[0], *id);
                write_str_field(buf, CALL[1], method);
                write_bin_field(buf, CALL[2], payload);
            }
            ClientFrame::Ping {} => write_variant(buf, CLIENT_FRAMES[5], 0),
            ClientFrame::Pong {} => write_variant(buf, CLIENT_FRAMES[6], 0),
        }
    }

    fn read_msgpack(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match struct_variant(r, &CLIENT_FRAMES)? {
            0 => {
                let (mut version, mut token, mut client, mut resume) = (None, None, None, None);
                r.fields(&CONNECT, &mut |r, i| {
                    match i {
                        0 => version = Some(r.u32()?),
                        1 => token = r.opt_string()?,
                        2 => client = Some(read_client_info(r)?),
                        _ => resume = r.opt_string()?,
                    }
                    Ok(())
                })?;
                ClientFrame::Connect {
                    version: required(version, CONNECT[0])?,
                    token,
                    client: required(client, CONNECT[2])?,
                    resume,
                }
            }
            1 => {
                let (mut id, mut channel, mut since) = (None, None, None);
                r.fields(&SUBSCRIBE, &mut |r, i| {
                    match i {
                        0 => id = Some(r.uint()?),
                        1 => channel = Some(r.string()?),
                        _ => {
                            since = match r.nil() {
                                true => None,
                                false => Some(read_position(r)?),
                            }
                        }
                    }
                    Ok(())
                })?;
                ClientFrame::Subscribe {
                    id: required(id, SUBSCRIBE[0])?,
                    channel: required(channel, SUBSCRIBE[1])?,
                    since,
                }
            }
            2 => {
                let (mut id, mut channel) = (None, None);
                r.fields(&UNSUBSCRIBE, &mut |r, i| {
                    match i {
                        0 => id = Some(r.uint()?),
                        _ => channel = Some(r.string()?),
                    }
                    Ok(())
                })?;
                ClientFrame::Unsubscribe {
                    id: required(id, UNSUBSCRIBE[0])?,
                    channel: required(channel, UNSUBSCRIBE[1])?,
                }
            }
            3 => {
                let (mut id, mut channel, mut msg_id, mut bytes) = (None, None, None, None);
                r.fields(&PUBLISH, &mut |r, i| {
                    match i {
                        0 => id = Some(r.uint()?),
                        1 => channel = Some(r.string()?),
                        2 => msg_id = Some(r.string()?),
                        _ => bytes = Some(r.payload()?),
                    }
                    Ok(())
                })?;
                ClientFrame::Publish {
                    id: required(id, PUBLISH[0])?,
                    channel: required(channel, PUBLISH[1])?,
                    msg_id: required(msg_id, PUBLISH[2])?,
                    payload: required(bytes, PUBLISH[3])?,
                }
            }
            4 => {
                let (mut id, mut method, mut bytes) = (None, None, None);
                r.fields(&CALL, &mut |r, i| {
                    match i {
                        0 => id = Some(r.uint()?),
                        1 => method = Some(r.string()?),
                        _ => bytes = Some(r.payload()?),
                    }
                    Ok(())
                })?;
                ClientFrame::Call {
                    id: required(id, CALL[0])?,
                    method: required(method, CALL[1])?,
                    payload: required(bytes, CALL[2])?,
                }
            }
            5 => {
                no_fields(r)?;
                ClientFrame::Ping {}
            }
            _ => {
                no_fields(r)?;
                ClientFrame::Pong {}
            }
        })
    }
}

// ----- server frames ------------------------------------------------------------------

const SERVER_FRAMES: [&str; 11] = [
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
const CONNECTED: [&str; 4] = ["session", "ping_interval_ms", "ping_timeout_ms", "user"];
const SUBSCRIBED: [&str; 5] = ["id", "channel", "epoch", "offset", "outcome"];
const PUBLISH_ACK: [&str; 4] = ["id", "epoch", "offset", "duplicate"];
const MESSAGE: [&str; 5] = ["channel", "epoch", "offset", "payload", "publisher"];
const REPLY: [&str; 2] = ["id", "result"];
const PRESENCE: [&str; 2] = ["channel", "event"];
const ERROR: [&str; 3] = ["code", "message", "id"];
const DISCONNECT: [&str; 4] = ["code", "reason", "reconnect", "retry_after_ms"];

impl MsgPack for ServerFrame {
    fn write_msgpack(&self, buf: &mut Vec<u8>) {
        match self {
            ServerFrame::Connected {
                session,
                ping_interval_ms,
                ping_timeout_ms,
                user,
            } => {
                write_variant(buf, SERVER_FRAMES[0], 3 + usize::from(user.is_some()));
                write_str_field(buf, CONNECTED[0], session);
                write_uint_field(buf, CONNECTED[1], *ping_interval_ms);
                write_uint_field(buf, CONNECTED[2], *ping_timeout_ms);
                write_opt_str_field(buf, CONNECTED[3], user);
            }
            ServerFrame::Subscribed {
                id,
                channel,
                epoch,
                offset,
                outcome,
            } => {
                write_variant(buf, SERVER_FRAMES[1], 5);
                write_uint_field(buf, SUBSCRIBED[0], *id);
                write_str_field(buf, SUBSCRIBED[1], channel);
                write_str_field(buf, SUBSCRIBED[2], epoch);
                write_uint_field(buf, SUBSCRIBED[3], *offset);
                write_str(buf, SUBSCRIBED[4]);
                outcome.write_msgpack(buf);
            }
            ServerFrame::Unsubscribed { id, channel } => {
                write_variant(buf, SERVER_FRAMES[2], 2);
                write_uint_field(buf, UNSUBSCRIBE[0], *id);
                write_str_field(buf, UNSUBSCRIBE[1], channel);
            }
            ServerFrame::PublishAck {
                id,
                epoch,
                offset,
                duplicate,
            } => {
                write_variant(buf, SERVER_FRAMES[3], 4);
                write_uint_field(buf, PUBLISH_ACK[0], *id);
                write_str_field(buf, PUBLISH_ACK[1], epoch);
                write_uint_field(buf, PUBLISH_ACK[2], *offset);
                write_str(buf, PUBLISH_ACK[3]);
                write_bool(buf, *duplicate);
            }
            ServerFrame::Message {
                channel,
                epoch,
                offset,
                payload,
                publisher,
            } => {
                write_variant(buf, SERVER_FRAMES[4], 4 + usize::from(publisher.is_some()));
                write_str_field(buf, MESSAGE[0], channel);
                write_str_field(buf, MESSAGE[1], epoch);
                write_uint_field(buf, MESSAGE[2], *offset);
                write_bin_field(buf, MESSAGE[3], payload);
                write_opt_str_field(buf, MESSAGE[4], publisher);
            }
            ServerFrame::Reply { id, result } => {
                write_variant(buf, SERVER_FRAMES[5], 2);
                write_uint_field(buf, REPLY[0], *id);
                write_str(buf, REPLY[1]);
                result.write_msgpack(buf);
            }
            ServerFrame::Presence { channel, event } => {
                write_variant(buf, SERVER_FRAMES[6], 2);
                write_str_field(buf, PRESENCE[0], channel);
                write_str(buf, PRESENCE[1]);
                event.write_msgpack(buf);
            }
            ServerFrame::Ping {} => write_variant(buf, SERVER_FRAMES[7], 0),
            ServerFrame::Pong {} => write_variant(buf, SERVER_FRAMES[8], 0),
            ServerFrame::Error { code, message, id } => {
                write_variant(buf, SERVER_FRAMES[9], 2 + usize::from(id.is_some()));
                write_uint_field(buf, ERROR[0], (*code).into());
                write_str_field(buf, ERROR[1], message);
                if let Some(id) = id {
                    write_uint_field(buf, ERROR[2], *id);
                }
            }
            ServerFrame::Disconnect {
                code,
                reason,
                reconnect,
                retry_after_ms,
            } => {
                let fields = 3 + usize::from(retry_after_ms.is_some());
                write_variant(buf, SERVER_FRAMES[10], fields);
                write_uint_field(buf, DISCONNECT[0], (*code).into());
                write_str_field(buf, DISCONNECT[1], reason);
                write_str(buf, DISCONNECT[2]);
                write_bool(buf, *reconnect);
                if let Some(ms) = retry_after_ms {
                    write_uint_field(buf, DISCONNECT[3], *ms);
                }
            }
        }
    }

    fn read_msgpack(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match struct_variant(r, &SERVER_FRAMES)? {
            0 => {
                let (mut session, mut interval, mut timeout, mut user) = (None, None, None, None);
                r.fields(&CONNECTED, &mut |r, i| {
                    match i {
                        0 => session = Some(r.string()?),
                        1 => interval = Some(r.uint()?),
                        2 => timeout = Some(r.uint()?),
                        _ => user = r.opt_string()?,
                    }
                    Ok(())
                })?;
                ServerFrame::Connected {
                    session: required(session, CONNECTED[0])?,
                    ping_interval_ms: required(interval, CONNECTED[1])?,
                    ping_timeout_ms: required(timeout, CONNECTED[2])?,
                    user,
                }
            }
            1 => {
                let (mut id, mut channel, mut epoch, mut offset, mut outcome) =
                    (None, None, None, None, None);
                r.fields(&SUBSCRIBED, &mut |r, i| {
                    match i {
                        0 => id = Some(r.uint()?),
                        1 => channel = Some(r.string()?),
                        2 => epoch = Some(r.string()?),
                        3 => offset = Some(r.uint()?),
                        _ => outcome = Some(SubscribeOutcome::read_msgpack(r)?),
                    }
                    Ok(())
                })?;
                ServerFrame::Subscribed {
                    id: required(id, SUBSCRIBED[0])?,
                    channel: required(channel, SUBSCRIBED[1])?,
                    epoch: required(epoch, SUBSCRIBED[2])?,
                    offset: required(offset, SUBSCRIBED[3])?,
                    outcome: required(outcome, SUBSCRIBED[4])?,
                }
            }
            2 => {
                let (mut id, mut channel) = (None, None);
                r.fields(&UNSUBSCRIBE, &mut |r, i| {
                    match i {
                        0 => id = Some(r.uint()?),
                        _ => channel = Some(r.string()?),
                    }
                    Ok(())
                })?;
                ServerFrame::Unsubscribed {
                    id: required(id, UNSUBSCRIBE[0])?,
                    channel: required(channel, UNSUBSCRIBE[1])?,
                }
            }
            3 => {
                let (mut id, mut epoch, mut offset, mut duplicate) = (None, None, None, false);
                r.fields(&PUBLISH_ACK, &mut |r, i| {
                    match i {
                        0 => id = Some(r.uint()?),
                        1 => epoch = Some(r.string()?),
                        2 => offset = Some(r.uint()?),
                        _ => duplicate = r.bool()?,
                    }
                    Ok(())
                })?;
                ServerFrame::PublishAck {
                    id: required(id, PUBLISH_ACK[0])?,
                    epoch: required(epoch, PUBLISH_ACK[1])?,
                    offset: required(offset, PUBLISH_ACK[2])?,
                    duplicate,
                }
            }
            4 => {
                let (mut channel, mut epoch, mut offset, mut bytes, mut publisher) =
                    (None, None, None, None, None);
                r.fields(&MESSAGE, &mut |r, i| {
                    match i {
                        0 => channel = Some(r.string()?),
                        1 => epoch = Some(r.string()?),
                        2 => offset = Some(r.uint()?),
                        3 => bytes = Some(r.payload()?),
                        _ => publisher = r.opt_string()?,
                    }
                    Ok(())
                })?;
                ServerFrame::Message {
                    channel: required(channel, MESSAGE[0])?,
                    epoch: required(epoch, MESSAGE[1])?,
                    offset: required(offset, MESSAGE[2])?,
                    payload: required(bytes, MESSAGE[3])?,
                    publisher,
                }
            }
            5 => {
                let (mut id, mut result) = (None, None);
                r.fields(&REPLY, &mut |r, i| {
                    match i {
                        0 => id = Some(r.uint()?),
                        _ => result = Some(CallResult::read_msgpack(r)?),
                    }
                    Ok(())
                })?;
                ServerFrame::Reply {
                    id: required(id, REPLY[0])?,
                    result: required(result, REPLY[1])?,
                }
            }
            6 => {
                let (mut channel, mut event) = (None, None);
                r.fields(&PRESENCE, &mut |r, i| {
                    match i {
                        0 => channel = Some(r.string()?),
                        _ => event = Some(PresenceEvent::read_msgpack(r)?),
                    }
                    Ok(())
                })?;
                ServerFrame::Presence {
                    channel: required(channel, PRESENCE[0])?,
                    event: required(event, PRESENCE[1])?,
                }
            }
            7 => {
                no_fields(r)?;
                ServerFrame::Ping {}
            }
            8 => {
                no_fields(r)?;
                ServerFrame::Pong {}
            }
            9 => {
                let (mut code, mut message, mut id) = (None, None, None);
                r.fields(&ERROR, &mut |r, i| {
                    match i {
                        0 => code = Some(r.u16()?),
                        1 => message = Some(r.string()?),
                        _ => id = if r.nil() { None } else { Some(r.uint()?) },
                    }
                    Ok(())
                })?;
                ServerFrame::Error {
                    code: required(code, ERROR[0])?,
                    message: required(message, ERROR[1])?,
                    id,
                }
            }
            _ => {
                let (mut code, mut reason, mut reconnect, mut retry) = (None, None, None, None);
                r.fields(&DISCONNECT, &mut |r, i| {
                    match i {
                        0 => code = Some(r.u16()?),
                        1 => reason = Some(r.string()?),
                        2 => reconnect = Some(r.bool()?),
                        _ => retry = if r.nil() { None } else { Some(r.uint()?) },
                    }
                    Ok(())
                })?;
                ServerFrame::Disconnect {
                    code: required(code, DISCONNECT[0])?,
                    reason: required(reason, DISCONNECT[1])?,
                    reconnect: required(reconnect, DISCONNECT[2])?,
                    retry_after_ms: retry,
                }
            }
        })
    }
}

impl WireFrame for ClientFrame {}
impl WireFrame for ServerFrame {}
impl WireFrame for SubscribeOutcome {}
impl WireFrame for PresenceEvent {}
impl WireFrame for CallResult {}
