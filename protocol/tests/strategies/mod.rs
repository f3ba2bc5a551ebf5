//! Proptest strategies for every frame type, shared by the property tests.

use proptest::collection::vec;
use proptest::prelude::*;
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
