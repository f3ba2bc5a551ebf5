//! A deterministic simulation of clients, a network and a server, on simulated time.
//!
//! [`Sim`] plays the driver for every [`ClientCore`]: it executes socket commands, carries
//! bytes over a network with small seeded random latency (in order per socket and
//! direction), and calls `handle_timeout` when a core's deadline comes. Nothing sleeps:
//! [`Sim::step`] jumps the clock to the earliest of the scripted actions, the next network
//! delivery, the server's timers and the clients' deadlines, and handles that one thing.
//! The same seed always gives the same run.
//!
//! The harness is strict about the driver contract, so that core bugs show up as test
//! failures rather than as odd behaviour: a core that asks to open a second socket while
//! holding one, closes a socket it does not hold, or transmits on a socket that is not open
//! makes the simulation panic.
#![allow(dead_code)]

pub mod server;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use resocket::protocol::{ClientFrame, DecodeLimits, Encoding, ServerFrame};
use resocket::{
    CallError, ClientCore, Config, Event, Message, Payload, Position, PublishAck, PublishError,
    RequestId, SocketCommand, State, Time,
};

pub use server::{FakeServer, ServerConfig, SocketId};

/// `s` seconds after the origin.
pub fn at(s: f64) -> Time {
    Time::from_duration(Duration::from_secs_f64(s))
}

/// `s` seconds.
pub fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// An event as a client saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub at: Time,
    pub event: Event,
    /// For channel events (message, reset, subscribed): the channel's position right
    /// after the input that produced the event.
    pub position: Option<Position>,
}

/// In which order a thawed client handles what piled up while it was frozen. A driver
/// whose timer and socket are both ready may pick either, so the core must cope with both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thaw {
    /// The overdue timer fires first, then the held messages are handled.
    TimerFirst,
    /// The held messages are handled first, then the overdue timer fires.
    MessagesFirst,
}

/// One client core and its driver's state.
#[derive(Debug)]
pub struct SimClient {
    pub core: ClientCore,
    socket: Option<SocketId>,
    open: bool,
    /// Every event, in order.
    pub log: Vec<Logged>,
    /// When the core asked to open a socket.
    pub opens: Vec<Time>,
    /// Every WebSocket message the core transmitted.
    pub transmits: Vec<(Time, Vec<u8>)>,
    /// Every WebSocket message from the server handed to the core (while
    /// [`Sim::record_deliveries`] is set).
    pub delivered: Vec<(Time, Vec<u8>)>,
    /// When a message from the server was last handed to the core.
    pub last_delivery: Option<Time>,
    /// While set, its connection attempts fail (its network is down).
    pub offline: bool,
    frozen: Option<(Time, Thaw)>,
    held: Vec<Delivery>,
    armed: Option<Time>,
}

impl SimClient {
    /// Events `f` picks, with the time they happened.
    pub fn events<T>(&self, mut f: impl FnMut(&Event) -> Option<T>) -> Vec<(Time, T)> {
        self.log
            .iter()
            .filter_map(|l| f(&l.event).map(|t| (l.at, t)))
            .collect()
    }

    /// Every `CallDone` event.
    pub fn call_results(&self) -> Vec<(Time, RequestId, Result<Payload, CallError>)> {
        self.log
            .iter()
            .filter_map(|l| match &l.event {
                Event::CallDone { id, result } => Some((l.at, *id, result.clone())),
                _ => None,
            })
            .collect()
    }

    /// Every `Published` event.
    pub fn publish_results(&self) -> Vec<(Time, RequestId, Result<PublishAck, PublishError>)> {
        self.log
            .iter()
            .filter_map(|l| match &l.event {
                Event::Published { id, result } => Some((l.at, *id, result.clone())),
                _ => None,
            })
            .collect()
    }

    /// When each connection was established.
    pub fn connected_at(&self) -> Vec<Time> {
        self.events(|e| matches!(e, Event::Connected { .. }).then_some(()))
            .into_iter()
            .map(|(t, ())| t)
            .collect()
    }

    pub fn is_connected(&self) -> bool {
        self.core.state() == State::Connected
    }

    /// Messages delivered on `channel`, in order.
    pub fn messages<'a>(&'a self, channel: &'a str) -> impl Iterator<Item = &'a Message> + 'a {
        self.log.iter().filter_map(move |l| match &l.event {
            Event::Message(m) if m.channel == channel => Some(m),
            _ => None,
        })
    }

    /// Client frames it transmitted, decoded, with the time.
    pub fn sent_frames(&self) -> Vec<(Time, ClientFrame)> {
        decode_all(self.core.config().encoding, &self.transmits)
    }

    /// Server frames handed to it, decoded, with the time.
    pub fn delivered_frames(&self) -> Vec<(Time, ServerFrame)> {
        decode_all(self.core.config().encoding, &self.delivered)
    }

    pub fn is_frozen(&self) -> bool {
        self.frozen.is_some()
    }
}

fn decode_all<F: resocket::protocol::WireFrame>(
    encoding: Encoding,
    messages: &[(Time, Vec<u8>)],
) -> Vec<(Time, F)> {
    messages
        .iter()
        .flat_map(|(t, bytes)| {
            let frames: Vec<F> = encoding
                .decode(bytes, DecodeLimits::default())
                .expect("frames decode");
            frames.into_iter().map(move |f| (*t, f))
        })
        .collect()
}

#[derive(Debug)]
enum Delivery {
    /// A client's connection attempt reaches the server.
    Connect {
        socket: SocketId,
        encoding: Encoding,
    },
    Opened {
        socket: SocketId,
    },
    Refused {
        socket: SocketId,
    },
    ToServer {
        socket: SocketId,
        bytes: Vec<u8>,
    },
    ToClient {
        socket: SocketId,
        bytes: Vec<u8>,
    },
    ClosedToClient {
        socket: SocketId,
        code: Option<u16>,
        reason: String,
    },
    ClosedToServer {
        socket: SocketId,
    },
}

impl Delivery {
    fn socket(&self) -> SocketId {
        match self {
            Delivery::Connect { socket, .. }
            | Delivery::Opened { socket }
            | Delivery::Refused { socket }
            | Delivery::ToServer { socket, .. }
            | Delivery::ToClient { socket, .. }
            | Delivery::ClosedToClient { socket, .. }
            | Delivery::ClosedToServer { socket } => *socket,
        }
    }
}

#[derive(Debug, Default)]
struct SocketInfo {
    client: usize,
    to_server: Time,
    to_client: Time,
}

type Action = Box<dyn FnOnce(&mut Sim)>;

/// Clients, network and server on one simulated clock. See the [module docs](self).
pub struct Sim {
    pub time: Time,
    pub server: FakeServer,
    pub clients: Vec<SimClient>,
    pub rng: SmallRng,
    /// Latency of one network hop, drawn uniformly from this range.
    pub latency: (Duration, Duration),
    /// Whether clients keep a copy of every message handed to them (on by default).
    pub record_deliveries: bool,
    network: BTreeMap<(Time, u64), Delivery>,
    /// Per socket (its id is the index): the client owning it, and when the last
    /// delivery in flight to the server and to the client arrives.
    sockets: Vec<SocketInfo>,
    /// Sockets that broke abruptly: whatever was in flight on them is lost.
    broken: HashSet<SocketId>,
    actions: BTreeMap<(Time, u64), Action>,
    timers: BTreeSet<(Time, usize)>,
    seq: u64,
    stalled_steps: u64,
}

impl Sim {
    pub fn new(seed: u64, server: ServerConfig) -> Self {
        Self {
            time: Time::ZERO,
            server: FakeServer::new(server),
            clients: Vec::new(),
            rng: SmallRng::seed_from_u64(seed),
            latency: (Duration::from_millis(1), Duration::from_millis(20)),
            record_deliveries: true,
            network: BTreeMap::new(),
            sockets: vec![SocketInfo::default()],
            broken: HashSet::new(),
            actions: BTreeMap::new(),
            timers: BTreeSet::new(),
            seq: 0,
            stalled_steps: 0,
        }
    }

    /// Adds a client (not yet connecting) and returns its index.
    pub fn add_client(&mut self, config: Config) -> usize {
        self.clients.push(SimClient {
            core: ClientCore::new(config),
            socket: None,
            open: false,
            log: Vec::new(),
            opens: Vec::new(),
            transmits: Vec::new(),
            delivered: Vec::new(),
            last_delivery: None,
            offline: false,
            frozen: None,
            held: Vec::new(),
            armed: None,
        });
        self.clients.len() - 1
    }

    pub fn client(&self, i: usize) -> &SimClient {
        &self.clients[i]
    }

    // ----- application inputs -------------------------------------------------------

    /// Runs `f` on client `i`'s core at the current time, then drains its outputs.
    pub fn act<R>(&mut self, i: usize, f: impl FnOnce(&mut ClientCore, Time) -> R) -> R {
        let now = self.time;
        let result = f(&mut self.clients[i].core, now);
        self.pump(i);
        result
    }

    pub fn connect(&mut self, i: usize) {
        self.act(i, |c, now| c.connect(now));
    }

    /// Connects client `i` and runs until it is connected (at most a minute).
    pub fn connect_and_wait(&mut self, i: usize) {
        self.connect(i);
        let limit = self.time + Duration::from_secs(60);
        assert!(
            self.run_until(limit, |s| s.clients[i].is_connected()),
            "client {i} did not connect"
        );
    }

    pub fn subscribe(&mut self, i: usize, channel: &str) {
        self.act(i, |c, now| c.subscribe(now, channel, None))
            .expect("subscribe");
    }

    pub fn publish(
        &mut self,
        i: usize,
        channel: &str,
        payload: Payload,
        timeout: Option<Duration>,
    ) -> Result<RequestId, PublishError> {
        self.act(i, |c, now| c.publish(now, channel, payload, timeout))
    }

    pub fn call(
        &mut self,
        i: usize,
        method: &str,
        payload: Payload,
        timeout: Option<Duration>,
    ) -> Result<RequestId, CallError> {
        self.act(i, |c, now| c.call(now, method, payload, timeout))
    }

    /// Runs `f` at time `at` (or at once if that has passed).
    pub fn schedule(&mut self, at: Time, f: impl FnOnce(&mut Sim) + 'static) {
        let seq = self.next_seq();
        self.actions.insert((at, seq), Box::new(f));
    }

    // ----- failure modes ------------------------------------------------------------

    /// The server process dies; every client socket breaks without a close frame.
    pub fn crash(&mut self) {
        for socket in self.server.crash(self.time) {
            self.broken.insert(socket);
            let closed = Delivery::ClosedToClient {
                socket,
                code: None,
                reason: String::new(),
            };
            self.transmit(socket, false, closed);
        }
    }

    /// The server comes back, in a new epoch if `lose_history`.
    pub fn restart(&mut self, lose_history: bool) {
        self.server.restart(self.time, lose_history);
    }

    /// While set, nothing reaches the server or comes from it, and sockets stay open.
    pub fn set_half_open(&mut self, half_open: bool) {
        self.server.half_open = half_open;
    }

    /// Breaks client `i`'s connection at once on both ends, losing what was in flight.
    pub fn kill_connection(&mut self, i: usize) {
        let Some(socket) = self.clients[i].socket else {
            return;
        };
        self.broken.insert(socket);
        self.server.handle_closed(self.time, socket);
        self.drain_server();
        self.deliver_to_client(
            i,
            Delivery::ClosedToClient {
                socket,
                code: None,
                reason: String::new(),
            },
        );
    }

    /// Takes client `i`'s network down (breaking its connection) or brings it back.
    pub fn set_offline(&mut self, i: usize, offline: bool) {
        self.clients[i].offline = offline;
        if offline {
            self.kill_connection(i);
        }
    }

    /// The server sends client `i` a `disconnect` frame with this advice and closes.
    pub fn disconnect(
        &mut self,
        i: usize,
        code: u16,
        reconnect: bool,
        retry_after_ms: Option<u64>,
    ) {
        let socket = self.server.socket_of(i).expect("client is connected");
        self.server.disconnect(
            self.time,
            socket,
            code,
            "advised",
            reconnect,
            retry_after_ms,
        );
        self.drain_server();
    }

    /// The server closes client `i`'s socket with `code` and no `disconnect` frame.
    pub fn close_with(&mut self, i: usize, code: u16) {
        let socket = self.server.socket_of(i).expect("client is connected");
        self.server.close_with(self.time, socket, code, "closed");
        self.drain_server();
    }

    /// The server sends every connection its last `n` messages again.
    pub fn inject_duplicates(&mut self, n: usize) {
        self.server.inject_duplicates(self.time, n);
        self.drain_server();
    }

    /// Client `i` is suspended until `until`: it handles nothing and no timer fires. What
    /// arrives meanwhile is held and handled on thaw, in the order `thaw` says.
    pub fn freeze(&mut self, i: usize, until: Time, thaw: Thaw) {
        self.clients[i].frozen = Some((until, thaw));
        self.rearm(i);
    }

    // ----- driving ------------------------------------------------------------------

    /// Jumps the clock to the earliest pending thing, if it is not after `limit`, and
    /// handles it. False when nothing is due by `limit`.
    pub fn step(&mut self, limit: Time) -> bool {
        let candidates = [
            self.actions.keys().next().map(|k| k.0),
            self.network.keys().next().map(|k| k.0),
            self.server.poll_timeout(),
            self.timers.first().map(|k| k.0),
        ];
        let Some((kind, at)) = candidates
            .iter()
            .enumerate()
            .filter_map(|(k, t)| t.map(|t| (k, t)))
            .min_by_key(|&(k, t)| (t, k))
        else {
            return false;
        };
        if at > limit {
            return false;
        }
        if at > self.time {
            self.time = at;
            self.stalled_steps = 0;
        } else {
            self.stalled_steps += 1;
            assert!(
                self.stalled_steps < 1_000_000,
                "the simulation makes no progress at {:?}",
                self.time
            );
        }
        match kind {
            0 => {
                let (_, action) = self.actions.pop_first().expect("action");
                action(self);
            }
            1 => {
                let (_, delivery) = self.network.pop_first().expect("delivery");
                self.dispatch(delivery);
            }
            2 => {
                self.server.handle_timeout(self.time);
                self.drain_server();
            }
            _ => {
                let (_, i) = self.timers.pop_first().expect("timer");
                self.clients[i].armed = None;
                self.fire_timer(i);
            }
        }
        true
    }

    /// Handles everything due up to `t`, then sets the clock to `t`.
    pub fn drive_until(&mut self, t: Time) {
        while self.step(t) {}
        self.time = self.time.max(t);
    }

    pub fn drive_for(&mut self, d: Duration) {
        self.drive_until(self.time + d);
    }

    /// Steps until `done` holds (true) or the clock would pass `limit` (false).
    pub fn run_until(&mut self, limit: Time, mut done: impl FnMut(&Sim) -> bool) -> bool {
        loop {
            if done(self) {
                return true;
            }
            if !self.step(limit) {
                self.time = self.time.max(limit);
                return done(self);
            }
        }
    }

    // ----- the driver ---------------------------------------------------------------

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn latency(&mut self) -> Duration {
        let (lo, hi) = self.latency;
        let us = self
            .rng
            .random_range(lo.as_micros() as u64..=hi.as_micros() as u64);
        Duration::from_micros(us)
    }

    /// Puts `delivery` on the wire of `socket`, behind whatever is already in flight in
    /// the same direction.
    fn transmit(&mut self, socket: SocketId, to_server: bool, delivery: Delivery) {
        let latency = self.latency();
        let info = &mut self.sockets[socket as usize];
        let last = if to_server {
            &mut info.to_server
        } else {
            &mut info.to_client
        };
        let at = (self.time + latency).max(*last);
        *last = at;
        let seq = self.next_seq();
        self.network.insert((at, seq), delivery);
    }

    fn dispatch(&mut self, delivery: Delivery) {
        match delivery {
            Delivery::Connect { socket, encoding } => {
                let i = self.sockets[socket as usize].client;
                if self.broken.contains(&socket) || self.server.half_open {
                    return;
                }
                let accepted =
                    !self.clients[i].offline && self.server.accept(self.time, socket, i, encoding);
                let answer = if accepted {
                    Delivery::Opened { socket }
                } else {
                    Delivery::Refused { socket }
                };
                self.transmit(socket, false, answer);
            }
            Delivery::ToServer { socket, bytes } => {
                if self.broken.contains(&socket) || self.server.half_open {
                    return;
                }
                self.server.handle_message(self.time, socket, &bytes);
                self.drain_server();
            }
            Delivery::ClosedToServer { socket } => {
                if self.broken.contains(&socket) || self.server.half_open {
                    return;
                }
                self.server.handle_closed(self.time, socket);
                self.drain_server();
            }
            other => {
                let socket = other.socket();
                let lost = matches!(other, Delivery::Opened { .. } | Delivery::ToClient { .. });
                if lost && self.broken.contains(&socket) {
                    return;
                }
                let i = self.sockets[socket as usize].client;
                self.deliver_to_client(i, other);
            }
        }
    }

    fn drain_server(&mut self) {
        while let Some(out) = self.server.poll_out() {
            if self.server.half_open {
                continue;
            }
            match out {
                server::ServerOut::Send { socket, bytes } => {
                    self.transmit(socket, false, Delivery::ToClient { socket, bytes })
                }
                server::ServerOut::Close {
                    socket,
                    code,
                    reason,
                } => self.transmit(
                    socket,
                    false,
                    Delivery::ClosedToClient {
                        socket,
                        code: Some(code),
                        reason,
                    },
                ),
            }
        }
    }

    /// Hands a delivery to client `i`'s core, unless the client is frozen (then it is
    /// held) or the delivery is about a socket the client no longer holds.
    fn deliver_to_client(&mut self, i: usize, delivery: Delivery) {
        let c = &mut self.clients[i];
        if c.frozen.is_some() {
            c.held.push(delivery);
            return;
        }
        let now = self.time;
        match delivery {
            Delivery::Opened { socket } if c.socket == Some(socket) => {
                c.open = true;
                c.core.handle_socket_open(now);
            }
            Delivery::ToClient { socket, bytes } if c.socket == Some(socket) && c.open => {
                c.last_delivery = Some(now);
                c.core.handle_message(now, &bytes);
                if self.record_deliveries {
                    c.delivered.push((now, bytes));
                }
            }
            Delivery::Refused { socket } if c.socket == Some(socket) => {
                c.socket = None;
                c.open = false;
                c.core.handle_socket_closed(now, None, "connection refused");
            }
            Delivery::ClosedToClient {
                socket,
                code,
                reason,
            } if c.socket == Some(socket) => {
                c.socket = None;
                c.open = false;
                c.core.handle_socket_closed(now, code, &reason);
            }
            _ => return,
        }
        self.pump(i);
    }

    fn fire_timer(&mut self, i: usize) {
        let now = self.time;
        let c = &mut self.clients[i];
        match c.frozen {
            Some((until, _)) if now < until => {}
            Some((_, thaw)) => {
                c.frozen = None;
                let held = std::mem::take(&mut c.held);
                if thaw == Thaw::TimerFirst {
                    self.timer_if_due(i);
                }
                for delivery in held {
                    self.deliver_to_client(i, delivery);
                }
                if thaw == Thaw::MessagesFirst {
                    self.timer_if_due(i);
                }
            }
            None => {
                c.core.handle_timeout(now);
                self.pump(i);
            }
        }
        self.rearm(i);
    }

    fn timer_if_due(&mut self, i: usize) {
        let now = self.time;
        let c = &mut self.clients[i];
        if c.core.poll_timeout().is_some_and(|t| t <= now) {
            c.core.handle_timeout(now);
            self.pump(i);
        }
    }

    /// Drains client `i`'s outputs in the documented order and re-arms its timer.
    fn pump(&mut self, i: usize) {
        let now = self.time;
        loop {
            let c = &mut self.clients[i];
            let Some(command) = c.core.poll_socket() else {
                break;
            };
            match command {
                SocketCommand::Open { subprotocol } => {
                    assert!(
                        c.socket.is_none(),
                        "client {i} asked for a socket while holding one"
                    );
                    let encoding = Encoding::from_subprotocol(subprotocol)
                        .expect("the core offers one of our subprotocols");
                    let socket = self.sockets.len() as SocketId;
                    self.sockets.push(SocketInfo {
                        client: i,
                        ..SocketInfo::default()
                    });
                    c.socket = Some(socket);
                    c.open = false;
                    c.opens.push(now);
                    self.transmit(socket, true, Delivery::Connect { socket, encoding });
                }
                SocketCommand::Close { .. } => {
                    let socket = c
                        .socket
                        .take()
                        .unwrap_or_else(|| panic!("client {i} closed a socket it does not hold"));
                    c.open = false;
                    self.transmit(socket, true, Delivery::ClosedToServer { socket });
                }
            }
        }
        loop {
            let c = &mut self.clients[i];
            let Some(bytes) = c.core.poll_transmit() else {
                break;
            };
            let socket = match (c.socket, c.open) {
                (Some(socket), true) => socket,
                _ => panic!("client {i} transmitted without an open socket"),
            };
            c.transmits.push((now, bytes.clone()));
            self.transmit(socket, true, Delivery::ToServer { socket, bytes });
        }
        let c = &mut self.clients[i];
        while let Some(event) = c.core.poll_event() {
            let channel = match &event {
                Event::Message(m) => Some(m.channel.as_str()),
                Event::Reset { channel, .. } | Event::Subscribed { channel, .. } => {
                    Some(channel.as_str())
                }
                _ => None,
            };
            let position = channel.and_then(|ch| c.core.position(ch).cloned());
            c.log.push(Logged {
                at: now,
                event,
                position,
            });
        }
        self.rearm(i);
    }

    fn rearm(&mut self, i: usize) {
        let c = &mut self.clients[i];
        let next = match c.frozen {
            Some((until, _)) => Some(until),
            None => c.core.poll_timeout(),
        };
        if next != c.armed {
            if let Some(t) = c.armed {
                self.timers.remove(&(t, i));
            }
            if let Some(t) = next {
                self.timers.insert((t, i));
            }
            c.armed = next;
        }
    }
}
