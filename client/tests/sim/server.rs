//! A fake resocket server that speaks the real protocol through `resocket_protocol`.
//!
//! Like the client core it is sans-IO: the [`Sim`](super::Sim) hands it socket facts
//! (`accept`, `handle_message`, `handle_closed`) and timer ticks, and drains what it wants
//! to send with `poll_out`. It keeps channels with an epoch, offsets starting at 1, a
//! bounded history and a dedup table of message ids; answers calls (`echo`, `fail`,
//! `slow`, `late`); tracks presence; and can crash, refuse connections, advise clients
//! to go away and repeat messages it already sent.
//!
//! Everything it received and every frame it sent (except deliveries and pings) is
//! recorded, and `archive` keeps every message ever published, per channel and epoch,
//! even after the bounded history dropped it: the ground truth the tests check clients
//! against.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Duration;

use resocket::protocol::{
    codes, CallResult, ClientFrame, DecodeLimits, Encoding, ErrorBody, Payload, Position,
    PresenceEvent, PresenceMember, ServerFrame, SubscribeOutcome,
};
use resocket::Time;

/// Identifies one WebSocket connection in the simulation.
pub type SocketId = u64;

/// Application error code of the `fail` method.
pub const FAIL_CODE: u16 = codes::error::APPLICATION_BASE + 42;
/// Message of the `fail` method's error.
pub const FAIL_MESSAGE: &str = "handler failed on purpose";

/// How the fake server behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Sent in `connected`; the server pings every connection this often.
    pub ping_interval: Duration,
    /// Sent in `connected`.
    pub ping_timeout: Duration,
    /// Messages kept per channel for replay.
    pub history_limit: usize,
    /// Whether subscribers get presence snapshots, joins and leaves.
    pub presence: bool,
    /// Send every frame as its own WebSocket message instead of coalescing what one
    /// input produced for a connection into one message.
    pub frame_per_message: bool,
    /// How long the `late` method takes to answer.
    pub late_reply_delay: Duration,
    /// Whether `received`, `received_bytes` and `sent` are kept.
    pub record: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(10),
            history_limit: 100,
            presence: true,
            frame_per_message: false,
            late_reply_delay: Duration::from_secs(5),
            record: true,
        }
    }
}

/// How the server answers `connect` while it refuses connections.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// Close code (and code of the `disconnect` frame).
    pub code: u16,
    /// Reason text.
    pub reason: String,
    /// `Some((reconnect, retry_after_ms))` sends a `disconnect` frame before closing;
    /// `None` only closes the socket with `code`.
    pub advice: Option<(bool, Option<u64>)>,
}

/// Something the server wants the network to carry.
#[derive(Debug)]
pub enum ServerOut {
    Send {
        socket: SocketId,
        bytes: Vec<u8>,
    },
    Close {
        socket: SocketId,
        code: u16,
        reason: String,
    },
}

/// A frame the server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Time,
    pub client: usize,
    pub socket: SocketId,
    /// Index of the WebSocket message it came in (shared by frames of one message).
    pub message: usize,
    pub frame: ClientFrame,
}

/// A frame the server sent (deliveries and pings are not recorded).
#[derive(Debug, Clone)]
pub struct Sent {
    pub at: Time,
    pub client: usize,
    pub socket: SocketId,
    pub frame: ServerFrame,
}

/// One published message as the archive keeps it.
#[derive(Debug, Clone)]
pub struct Archived {
    pub msg_id: String,
    pub payload: Payload,
    pub publisher: usize,
}

/// Every message of one epoch of a channel; `messages[i]` has offset `i + 1`.
#[derive(Debug, Clone)]
pub struct EpochLog {
    pub epoch: String,
    pub messages: Vec<Archived>,
}

#[derive(Debug)]
struct Stored {
    offset: u64,
    payload: Payload,
    publisher: String,
}

#[derive(Debug)]
struct Channel {
    epoch: String,
    head: u64,
    history: VecDeque<Stored>,
    dedup: HashMap<String, u64>,
    members: BTreeMap<SocketId, PresenceMember>,
}

#[derive(Debug)]
struct Conn {
    client: usize,
    encoding: Encoding,
    session: Option<String>,
    subscriptions: BTreeSet<String>,
    /// Encoded `message` frames recently sent, for duplicate injection.
    recent: VecDeque<Vec<u8>>,
    pending: Vec<u8>,
}

const RECENT_KEPT: usize = 64;

/// The fake server. See the [module docs](self).
#[derive(Debug)]
pub struct FakeServer {
    pub config: ServerConfig,
    /// While set, `connect` frames are answered with this refusal.
    pub refuse: Option<Refusal>,
    /// While set, the network carries nothing to or from the server, and sockets stay
    /// open: a half-open connection, as after a NAT timeout or a silent crash.
    pub half_open: bool,
    up: bool,
    now: Time,
    generation: u64,
    next_session: u64,
    conns: BTreeMap<SocketId, Conn>,
    channels: BTreeMap<String, Channel>,
    pings: BTreeSet<(Time, SocketId)>,
    replies: BTreeMap<(Time, u64), (SocketId, ServerFrame)>,
    next_reply: u64,
    dirty: BTreeSet<SocketId>,
    out: VecDeque<ServerOut>,
    messages_received: usize,
    /// Every frame received.
    pub received: Vec<Received>,
    /// Every WebSocket message received, as raw bytes, with the client it came from.
    pub received_bytes: Vec<(Time, usize, Vec<u8>)>,
    /// Every frame sent except `message` and `ping`.
    pub sent: Vec<Sent>,
    /// How often each RPC method ran.
    pub calls: BTreeMap<String, usize>,
    /// Every message ever published, per channel, one log per epoch in creation order.
    pub archive: BTreeMap<String, Vec<EpochLog>>,
    /// Epochs whose history was lost in a crash.
    pub lost_epochs: BTreeSet<String>,
    /// Protocol violations by clients (each closed the connection with 4006).
    pub violations: Vec<String>,
}

impl FakeServer {
    pub fn new(config: ServerConfig) -> Self {
        Self {
            config,
            refuse: None,
            half_open: false,
            up: true,
            now: Time::ZERO,
            generation: 1,
            next_session: 1,
            conns: BTreeMap::new(),
            channels: BTreeMap::new(),
            pings: BTreeSet::new(),
            replies: BTreeMap::new(),
            next_reply: 0,
            dirty: BTreeSet::new(),
            out: VecDeque::new(),
            messages_received: 0,
            received: Vec::new(),
            received_bytes: Vec::new(),
            sent: Vec::new(),
            calls: BTreeMap::new(),
            archive: BTreeMap::new(),
            lost_epochs: BTreeSet::new(),
            violations: Vec::new(),
        }
    }

    pub fn is_up(&self) -> bool {
        self.up
    }

    /// The socket of `client`'s connection, if it has one.
    pub fn socket_of(&self, client: usize) -> Option<SocketId> {
        self.conns
            .iter()
            .find(|(_, c)| c.client == client)
            .map(|(s, _)| *s)
    }

    /// Session id of `client`'s current connection.
    pub fn session_of(&self, client: usize) -> Option<String> {
        self.conns
            .values()
            .find(|c| c.client == client)
            .and_then(|c| c.session.clone())
    }

    /// The latest position of `channel`.
    pub fn head(&self, channel: &str) -> Option<Position> {
        self.channels.get(channel).map(|c| Position {
            epoch: c.epoch.clone(),
            offset: c.head,
        })
    }

    /// Frames received from `client`, in order.
    pub fn received_from(&self, client: usize) -> impl Iterator<Item = &Received> {
        self.received.iter().filter(move |r| r.client == client)
    }

    // ----- inputs from the network --------------------------------------------------

    /// A client opened a socket. False when the server is down.
    pub fn accept(&mut self, now: Time, socket: SocketId, client: usize, enc: Encoding) -> bool {
        self.now = now;
        if !self.up {
            return false;
        }
        self.conns.insert(
            socket,
            Conn {
                client,
                encoding: enc,
                session: None,
                subscriptions: BTreeSet::new(),
                recent: VecDeque::new(),
                pending: Vec::new(),
            },
        );
        true
    }

    /// The client closed the socket (or it broke).
    pub fn handle_closed(&mut self, now: Time, socket: SocketId) {
        self.now = now;
        self.drop_conn(socket);
        self.flush();
    }

    /// One WebSocket message arrived.
    pub fn handle_message(&mut self, now: Time, socket: SocketId, bytes: &[u8]) {
        self.now = now;
        let Some(conn) = self.conns.get(&socket) else {
            return;
        };
        let client = conn.client;
        let frames: Vec<ClientFrame> = conn
            .encoding
            .decode(bytes, DecodeLimits::default())
            .unwrap_or_else(|e| panic!("client {client} sent bytes that do not decode: {e}"));
        let message = self.messages_received;
        self.messages_received += 1;
        if self.config.record {
            self.received_bytes.push((now, client, bytes.to_vec()));
        }
        for frame in frames {
            if self.config.record {
                self.received.push(Received {
                    at: now,
                    client,
                    socket,
                    message,
                    frame: frame.clone(),
                });
            }
            if !self.conns.contains_key(&socket) {
                break;
            }
            self.handle_frame(socket, frame);
        }
        self.flush();
    }

    /// When `handle_timeout` must run next.
    pub fn poll_timeout(&self) -> Option<Time> {
        let ping = self.pings.first().map(|&(t, _)| t);
        let reply = self.replies.keys().next().map(|&(t, _)| t);
        match (ping, reply) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn handle_timeout(&mut self, now: Time) {
        self.now = now;
        while let Some(&(at, socket)) = self.pings.first() {
            if at > now {
                break;
            }
            self.pings.pop_first();
            if self.conns.contains_key(&socket) {
                self.send(socket, &ServerFrame::Ping {});
                self.pings.insert((at + self.config.ping_interval, socket));
            }
        }
        while let Some(entry) = self.replies.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (socket, frame) = entry.remove();
            if self.conns.contains_key(&socket) {
                self.send(socket, &frame);
            }
        }
        self.flush();
    }

    /// The next thing for the network to carry.
    pub fn poll_out(&mut self) -> Option<ServerOut> {
        self.out.pop_front()
    }

    // ----- failure modes ------------------------------------------------------------

    /// The process dies: every connection is gone (the sockets it returns break without
    /// a close frame) and connection attempts fail until `restart`.
    pub fn crash(&mut self, now: Time) -> Vec<SocketId> {
        self.now = now;
        self.up = false;
        self.pings.clear();
        self.replies.clear();
        self.dirty.clear();
        self.out.clear();
        for channel in self.channels.values_mut() {
            channel.members.clear();
        }
        std::mem::take(&mut self.conns).into_keys().collect()
    }

    /// The process is back. With `lose_history` its channels start over in a new epoch
    /// (offsets from 1, no history, no dedup table), as an in-memory engine would.
    pub fn restart(&mut self, now: Time, lose_history: bool) {
        self.now = now;
        self.up = true;
        if lose_history {
            self.generation += 1;
            for (_, channel) in std::mem::take(&mut self.channels) {
                self.lost_epochs.insert(channel.epoch);
            }
        }
    }

    /// Sends `disconnect` with this advice to `socket`, then closes it with `code`.
    pub fn disconnect(
        &mut self,
        now: Time,
        socket: SocketId,
        code: u16,
        reason: &str,
        reconnect: bool,
        retry_after_ms: Option<u64>,
    ) {
        self.now = now;
        self.send(
            socket,
            &ServerFrame::Disconnect {
                code,
                reason: reason.into(),
                reconnect,
                retry_after_ms,
            },
        );
        self.close(socket, code, reason);
        self.flush();
    }

    /// Closes `socket` with a close frame carrying `code`, without a `disconnect` frame.
    pub fn close_with(&mut self, now: Time, socket: SocketId, code: u16, reason: &str) {
        self.now = now;
        self.close(socket, code, reason);
        self.flush();
    }

    /// Sends every connection the last `n` messages it was sent, again.
    pub fn inject_duplicates(&mut self, now: Time, n: usize) {
        self.now = now;
        for (&socket, conn) in &self.conns {
            let skip = conn.recent.len().saturating_sub(n);
            for bytes in conn.recent.iter().skip(skip) {
                self.out.push_back(ServerOut::Send {
                    socket,
                    bytes: bytes.clone(),
                });
            }
        }
    }

    // ----- frames -------------------------------------------------------------------

    fn handle_frame(&mut self, socket: SocketId, frame: ClientFrame) {
        let Some(session) = self.conns[&socket].session.clone() else {
            return match frame {
                ClientFrame::Connect { .. } => self.on_connect(socket),
                other => self.violation(socket, format!("{other:?} before connect")),
            };
        };
        match frame {
            ClientFrame::Connect { .. } => self.violation(socket, "connect sent twice".into()),
            ClientFrame::Subscribe { id, channel, since } => {
                self.on_subscribe(socket, session, id, channel, since)
            }
            ClientFrame::Unsubscribe { id, channel } => {
                let conn = self.conns.get_mut(&socket).expect("live connection");
                if conn.subscriptions.remove(&channel) {
                    self.leave(socket, &channel, &session);
                }
                self.send(socket, &ServerFrame::Unsubscribed { id, channel });
            }
            ClientFrame::Publish {
                id,
                channel,
                msg_id,
                payload,
            } => self.on_publish(socket, session, id, channel, msg_id, payload),
            ClientFrame::Call {
                id,
                method,
                payload,
            } => {
                *self.calls.entry(method.clone()).or_default() += 1;
                let reply = |result| ServerFrame::Reply { id, result };
                match method.as_str() {
                    "echo" => self.send(socket, &reply(CallResult::Ok(payload))),
                    "fail" => self.send(
                        socket,
                        &reply(CallResult::Err(ErrorBody {
                            code: FAIL_CODE,
                            message: FAIL_MESSAGE.into(),
                        })),
                    ),
                    "slow" => {}
                    "late" => {
                        let at = self.now + self.config.late_reply_delay;
                        self.replies.insert(
                            (at, self.next_reply),
                            (socket, reply(CallResult::Ok(payload))),
                        );
                        self.next_reply += 1;
                    }
                    _ => self.send(
                        socket,
                        &ServerFrame::Error {
                            code: codes::error::METHOD_NOT_FOUND,
                            message: format!("no method `{method}`"),
                            id: Some(id),
                        },
                    ),
                }
            }
            ClientFrame::Ping {} => self.send(socket, &ServerFrame::Pong {}),
            ClientFrame::Pong {} => {}
        }
    }

    fn violation(&mut self, socket: SocketId, what: String) {
        let client = self.conns[&socket].client;
        self.violations.push(format!("client {client}: {what}"));
        self.close(
            socket,
            codes::close::PROTOCOL_VIOLATION,
            "protocol violation",
        );
    }

    fn on_connect(&mut self, socket: SocketId) {
        if let Some(refusal) = self.refuse.clone() {
            if let Some((reconnect, retry_after_ms)) = refusal.advice {
                self.send(
                    socket,
                    &ServerFrame::Disconnect {
                        code: refusal.code,
                        reason: refusal.reason.clone(),
                        reconnect,
                        retry_after_ms,
                    },
                );
            }
            return self.close(socket, refusal.code, &refusal.reason);
        }
        let session = format!("s{}", self.next_session);
        self.next_session += 1;
        self.conns
            .get_mut(&socket)
            .expect("live connection")
            .session = Some(session.clone());
        self.send(
            socket,
            &ServerFrame::Connected {
                session,
                ping_interval_ms: self.config.ping_interval.as_millis() as u64,
                ping_timeout_ms: self.config.ping_timeout.as_millis() as u64,
                user: None,
            },
        );
        self.pings
            .insert((self.now + self.config.ping_interval, socket));
    }

    fn on_subscribe(
        &mut self,
        socket: SocketId,
        session: String,
        id: u64,
        name: String,
        since: Option<Position>,
    ) {
        if self.conns[&socket].subscriptions.contains(&name) {
            let error = ServerFrame::Error {
                code: codes::error::ALREADY_SUBSCRIBED,
                message: format!("`{name}` is already subscribed"),
                id: Some(id),
            };
            return self.send(socket, &error);
        }
        let channel = self.channel(&name);
        let first_kept = channel.head + 1 - channel.history.len() as u64;
        let (outcome, replay) = match since {
            None => (SubscribeOutcome::Fresh, Vec::new()),
            Some(p) if p.epoch != channel.epoch || p.offset > channel.head => {
                (SubscribeOutcome::Reset, Vec::new())
            }
            Some(p) if p.offset + 1 < first_kept => (SubscribeOutcome::Reset, Vec::new()),
            Some(p) => {
                let replay: Vec<ServerFrame> = channel
                    .history
                    .iter()
                    .filter(|m| m.offset > p.offset)
                    .map(|m| ServerFrame::Message {
                        channel: name.clone(),
                        epoch: channel.epoch.clone(),
                        offset: m.offset,
                        payload: m.payload.clone(),
                        publisher: Some(m.publisher.clone()),
                    })
                    .collect();
                let replayed = replay.len() as u64;
                (SubscribeOutcome::Recovered { replayed }, replay)
            }
        };
        let subscribed = ServerFrame::Subscribed {
            id,
            channel: name.clone(),
            epoch: channel.epoch.clone(),
            offset: channel.head,
            outcome,
        };
        let member = PresenceMember {
            session,
            user: None,
        };
        channel.members.insert(socket, member.clone());
        let members: Vec<(SocketId, PresenceMember)> = channel
            .members
            .iter()
            .map(|(s, m)| (*s, m.clone()))
            .collect();
        self.conns
            .get_mut(&socket)
            .expect("live connection")
            .subscriptions
            .insert(name.clone());
        self.send(socket, &subscribed);
        for frame in replay {
            self.send_message(socket, &frame);
        }
        if self.config.presence {
            let snapshot = PresenceEvent::Snapshot {
                members: members.iter().map(|(_, m)| m.clone()).collect(),
            };
            self.send(
                socket,
                &ServerFrame::Presence {
                    channel: name.clone(),
                    event: snapshot,
                },
            );
            let join = ServerFrame::Presence {
                channel: name.clone(),
                event: PresenceEvent::Join { member },
            };
            for (other, _) in members.iter().filter(|(s, _)| *s != socket) {
                self.send(*other, &join);
            }
        }
    }

    fn on_publish(
        &mut self,
        socket: SocketId,
        session: String,
        id: u64,
        name: String,
        msg_id: String,
        payload: Payload,
    ) {
        let publisher = self.conns[&socket].client;
        let history_limit = self.config.history_limit;
        let channel = self.channel(&name);
        let epoch = channel.epoch.clone();
        if let Some(&offset) = channel.dedup.get(&msg_id) {
            let ack = ServerFrame::PublishAck {
                id,
                epoch,
                offset,
                duplicate: true,
            };
            return self.send(socket, &ack);
        }
        channel.head += 1;
        let offset = channel.head;
        channel.dedup.insert(msg_id.clone(), offset);
        channel.history.push_back(Stored {
            offset,
            payload: payload.clone(),
            publisher: session.clone(),
        });
        while channel.history.len() > history_limit {
            channel.history.pop_front();
        }
        let subscribers: Vec<SocketId> = channel.members.keys().copied().collect();
        let log = self
            .archive
            .get_mut(&name)
            .and_then(|logs| logs.last_mut())
            .expect("channel has an archive");
        debug_assert_eq!(log.epoch, epoch);
        log.messages.push(Archived {
            msg_id,
            payload: payload.clone(),
            publisher,
        });
        let delivery = ServerFrame::Message {
            channel: name,
            epoch: epoch.clone(),
            offset,
            payload,
            publisher: Some(session),
        };
        // Encoded once per encoding and fanned out, as a real server does.
        let mut encoded: HashMap<Encoding, Vec<u8>> = HashMap::new();
        for subscriber in subscribers {
            let enc = self.conns[&subscriber].encoding;
            let bytes = encoded
                .entry(enc)
                .or_insert_with(|| enc.encode(&delivery))
                .clone();
            self.send_encoded(subscriber, bytes, true);
        }
        let ack = ServerFrame::PublishAck {
            id,
            epoch,
            offset,
            duplicate: false,
        };
        self.send(socket, &ack);
    }

    /// The channel, created in the current epoch if it does not exist.
    fn channel(&mut self, name: &str) -> &mut Channel {
        if !self.channels.contains_key(name) {
            let epoch = format!("{name}@{}", self.generation);
            self.archive
                .entry(name.to_owned())
                .or_default()
                .push(EpochLog {
                    epoch: epoch.clone(),
                    messages: Vec::new(),
                });
            self.channels.insert(
                name.to_owned(),
                Channel {
                    epoch,
                    head: 0,
                    history: VecDeque::new(),
                    dedup: HashMap::new(),
                    members: BTreeMap::new(),
                },
            );
        }
        self.channels.get_mut(name).expect("just inserted")
    }

    fn leave(&mut self, socket: SocketId, name: &str, session: &str) {
        let Some(channel) = self.channels.get_mut(name) else {
            return;
        };
        channel.members.remove(&socket);
        if !self.config.presence {
            return;
        }
        let others: Vec<SocketId> = channel.members.keys().copied().collect();
        let leave = ServerFrame::Presence {
            channel: name.to_owned(),
            event: PresenceEvent::Leave {
                member: PresenceMember {
                    session: session.to_owned(),
                    user: None,
                },
            },
        };
        for other in others {
            self.send(other, &leave);
        }
    }

    fn drop_conn(&mut self, socket: SocketId) {
        let Some(conn) = self.conns.remove(&socket) else {
            return;
        };
        self.dirty.remove(&socket);
        if let Some(session) = conn.session {
            for channel in &conn.subscriptions {
                self.leave(socket, channel, &session);
            }
        }
    }

    fn close(&mut self, socket: SocketId, code: u16, reason: &str) {
        self.flush_one(socket);
        if self.conns.contains_key(&socket) {
            self.drop_conn(socket);
            self.out.push_back(ServerOut::Close {
                socket,
                code,
                reason: reason.into(),
            });
        }
    }

    // ----- output -------------------------------------------------------------------

    fn send(&mut self, socket: SocketId, frame: &ServerFrame) {
        let Some(conn) = self.conns.get(&socket) else {
            return;
        };
        if self.config.record && !matches!(frame, ServerFrame::Ping {}) {
            self.sent.push(Sent {
                at: self.now,
                client: conn.client,
                socket,
                frame: frame.clone(),
            });
        }
        let bytes = conn.encoding.encode(frame);
        self.send_encoded(socket, bytes, false);
    }

    fn send_message(&mut self, socket: SocketId, frame: &ServerFrame) {
        let Some(conn) = self.conns.get(&socket) else {
            return;
        };
        let bytes = conn.encoding.encode(frame);
        self.send_encoded(socket, bytes, true);
    }

    fn send_encoded(&mut self, socket: SocketId, bytes: Vec<u8>, delivery: bool) {
        let Some(conn) = self.conns.get_mut(&socket) else {
            return;
        };
        if delivery {
            conn.recent.push_back(bytes.clone());
            if conn.recent.len() > RECENT_KEPT {
                conn.recent.pop_front();
            }
        }
        if self.config.frame_per_message {
            self.out.push_back(ServerOut::Send { socket, bytes });
        } else {
            conn.encoding.append_encoded(&bytes, &mut conn.pending);
            self.dirty.insert(socket);
        }
    }

    fn flush_one(&mut self, socket: SocketId) {
        if !self.dirty.remove(&socket) {
            return;
        }
        if let Some(conn) = self.conns.get_mut(&socket) {
            let bytes = std::mem::take(&mut conn.pending);
            if !bytes.is_empty() {
                self.out.push_back(ServerOut::Send { socket, bytes });
            }
        }
    }

    fn flush(&mut self) {
        while let Some(&socket) = self.dirty.first() {
            self.flush_one(socket);
        }
    }
}
