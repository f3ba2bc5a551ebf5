//! Proptest strategies for every frame type, shared by the property tests.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use resocket_protocol::{
    CallResult, ClientFrame, ClientInfo, ErrorBody, Payload, Position, PresenceEvent,
    PresenceMember, ServerFrame, SubscribeOutcome,
};

/// Mostly short identifiers, sometimes any Unicode (escapes, multi-byte characters).
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[a-z0-9:._-]{0,12}", 1 => any::<String>()]
}

pub fn payload() -> impl Strategy<Value = Payload> {
    vec(any::<u8>(), 0..48).prop_map(Payload::from)
}

pub fn position() -> impl Strategy<Value = Position> {
    (text(), any::<u64>()).prop_map(|(epoch, offset)| Position { epoch, offset })
}

pub fn member() -> impl Strategy<Value = PresenceMember> {
    (text(), prop::option::of(text())).prop_map(|(session, user)| PresenceMember { session, user })
}

pub fn client_frame() -> impl Strategy<Value = ClientFrame> {
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

pub fn outcome() -> impl Strategy<Value = SubscribeOutcome> {
    prop_oneof![
        Just(SubscribeOutcome::Fresh),
        any::<u64>().prop_map(|replayed| SubscribeOutcome::Recovered { replayed }),
        Just(SubscribeOutcome::Reset),
    ]
}

pub fn presence_event() -> impl Strategy<Value = PresenceEvent> {
    prop_oneof![
        vec(member(), 0..4).prop_map(|members| PresenceEvent::Snapshot { members }),
        member().prop_map(|member| PresenceEvent::Join { member }),
        member().prop_map(|member| PresenceEvent::Leave { member }),
    ]
}

pub fn call_result() -> impl Strategy<Value = CallResult> {
    prop_oneof![
        payload().prop_map(CallResult::Ok),
        (any::<u16>(), text())
            .prop_map(|(code, message)| CallResult::Err(ErrorBody { code, message })),
    ]
}

pub fn server_frame() -> impl Strategy<Value = ServerFrame> {
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

#[derive(Debug, Clone)]
/// One damage done to an encoded message.
pub enum Edit {
    Flip(Index, u8),
    Insert(Index, u8),
    Remove(Index),
    Cut(Index),
}

/// Any [`Edit`].
pub fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<Index>().prop_map(Edit::Remove),
        any::<Index>().prop_map(Edit::Cut),
    ]
}

/// Applies `edits` in turn (positions are taken modulo the current length).
pub fn apply(bytes: &mut Vec<u8>, edits: &[Edit]) {
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
            Edit::Cut(i) => bytes.truncate(i.index(bytes.len())),
        }
    }
}
