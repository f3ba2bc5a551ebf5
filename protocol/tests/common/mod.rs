//! Sample frames shared by the round-trip and malformed-input tests: every variant of
//! every frame type, with each optional field once present and once absent.

use resocket_protocol::{
    CallResult, ClientFrame, ClientInfo, ErrorBody, Payload, Position, PresenceEvent,
    PresenceMember, ServerFrame, SubscribeOutcome, PROTOCOL_VERSION,
};

/// Bytes that exercise every byte value, so base64 padding and msgpack `bin` lengths
/// are not only tested with ASCII.
pub fn binary_payload() -> Payload {
    Payload::from((0..=255u8).collect::<Vec<u8>>())
}

fn member(session: &str, user: Option<&str>) -> PresenceMember {
    PresenceMember {
        session: session.into(),
        user: user.map(Into::into),
    }
}

pub fn client_frames() -> Vec<ClientFrame> {
    vec![
        ClientFrame::Connect {
            version: PROTOCOL_VERSION,
            token: Some("tok-123".into()),
            client: ClientInfo {
                name: "resocket-rs".into(),
                version: "0.1.0".into(),
            },
            resume: Some("s-1".into()),
        },
        ClientFrame::Connect {
            version: PROTOCOL_VERSION,
            token: None,
            client: ClientInfo::default(),
            resume: None,
        },
        ClientFrame::Subscribe {
            id: 1,
            channel: "chat:lobby".into(),
            since: Some(Position {
                epoch: "e-1".into(),
                offset: 41,
            }),
        },
        ClientFrame::Subscribe {
            id: u64::MAX,
            channel: "chat:lobby".into(),
            since: None,
        },
        ClientFrame::Unsubscribe {
            id: 2,
            channel: "chat:lobby".into(),
        },
        ClientFrame::Publish {
            id: 3,
            channel: "chat:lobby".into(),
            msg_id: "m-1".into(),
            payload: binary_payload(),
        },
        ClientFrame::Publish {
            id: 4,
            channel: "chat:ünïcödé ✓".into(),
            msg_id: String::new(),
            payload: Payload::default(),
        },
        ClientFrame::Call {
            id: 5,
            method: "rooms.list".into(),
            payload: Payload::from(&b"{}"[..]),
        },
        ClientFrame::Ping {},
        ClientFrame::Pong {},
    ]
}

pub fn server_frames() -> Vec<ServerFrame> {
    let subscribed = |outcome| ServerFrame::Subscribed {
        id: 1,
        channel: "chat:lobby".into(),
        epoch: "e-1".into(),
        offset: 43,
        outcome,
    };
    vec![
        ServerFrame::Connected {
            session: "s-1".into(),
            ping_interval_ms: 25_000,
            ping_timeout_ms: 10_000,
            user: Some("alice".into()),
        },
        ServerFrame::Connected {
            session: "s-2".into(),
            ping_interval_ms: 0,
            ping_timeout_ms: u64::MAX,
            user: None,
        },
        subscribed(SubscribeOutcome::Fresh),
        subscribed(SubscribeOutcome::Recovered { replayed: 2 }),
        subscribed(SubscribeOutcome::Reset),
        ServerFrame::Unsubscribed {
            id: 2,
            channel: "chat:lobby".into(),
        },
        ServerFrame::PublishAck {
            id: 3,
            epoch: "e-1".into(),
            offset: 44,
            duplicate: false,
        },
        ServerFrame::PublishAck {
            id: 3,
            epoch: "e-1".into(),
            offset: 44,
            duplicate: true,
        },
        ServerFrame::Message {
            channel: "chat:lobby".into(),
            epoch: "e-1".into(),
            offset: 44,
            payload: binary_payload(),
            publisher: Some("alice".into()),
        },
        ServerFrame::Message {
            channel: "chat:lobby".into(),
            epoch: "e-1".into(),
            offset: 45,
            payload: Payload::default(),
            publisher: None,
        },
        ServerFrame::Reply {
            id: 5,
            result: CallResult::Ok(binary_payload()),
        },
        ServerFrame::Reply {
            id: 5,
            result: CallResult::Err(ErrorBody {
                code: 1001,
                message: "no such room".into(),
            }),
        },
        ServerFrame::Presence {
            channel: "chat:lobby".into(),
            event: PresenceEvent::Snapshot {
                members: vec![member("s-1", Some("alice")), member("s-2", None)],
            },
        },
        ServerFrame::Presence {
            channel: "chat:lobby".into(),
            event: PresenceEvent::Snapshot { members: vec![] },
        },
        ServerFrame::Presence {
            channel: "chat:lobby".into(),
            event: PresenceEvent::Join {
                member: member("s-3", Some("bob")),
            },
        },
        ServerFrame::Presence {
            channel: "chat:lobby".into(),
            event: PresenceEvent::Leave {
                member: member("s-3", None),
            },
        },
        ServerFrame::Ping {},
        ServerFrame::Pong {},
        ServerFrame::Error {
            code: 103,
            message: "permission denied".into(),
            id: Some(3),
        },
        ServerFrame::Error {
            code: 111,
            message: "bad frame".into(),
            id: None,
        },
        ServerFrame::Disconnect {
            code: 4000,
            reason: "restarting".into(),
            reconnect: true,
            retry_after_ms: Some(2_000),
        },
        ServerFrame::Disconnect {
            code: 4100,
            reason: "bad token".into(),
            reconnect: false,
            retry_after_ms: None,
        },
    ]
}
