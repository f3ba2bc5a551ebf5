//! The sans-IO client core: a pure state machine.
//!
//! A [`ClientCore`] never touches a socket, never reads a clock and never uses a global
//! random number generator. A driver feeds it inputs and executes what it asks for:
//!
//! 1. Inputs, each with the current [`Time`]: application calls ([`ClientCore::connect`],
//!    [`ClientCore::publish`], [`ClientCore::call`], [`ClientCore::subscribe`], …) and
//!    socket facts ([`ClientCore::handle_socket_open`], [`ClientCore::handle_message`],
//!    [`ClientCore::handle_socket_closed`]) and [`ClientCore::handle_timeout`] when the
//!    deadline from `poll_timeout` is reached.
//! 2. After every input the driver drains, in this order: [`ClientCore::poll_socket`]
//!    (open or close the socket), [`ClientCore::poll_transmit`] (bytes to send, one
//!    WebSocket message each), [`ClientCore::poll_event`] (for the application), and
//!    finally re-arms its one timer at [`ClientCore::poll_timeout`].
//!
//! After a [`SocketCommand::Close`] the driver drops that socket and reports nothing
//! more about it; a later [`SocketCommand::Open`] is about a new socket.

mod backoff;
mod channels;
mod config;
mod error;
mod event;
mod requests;
mod sorted;
mod time;

use std::collections::VecDeque;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use resocket_protocol::{
    codes, CallResult, ClientFrame, ClientInfo, Payload, Position, RequestId, ServerFrame,
    SubscribeOutcome, PROTOCOL_VERSION,
};

pub use backoff::{Backoff, BackoffConfig};
pub use config::{CallsOnDisconnect, Config, QueueLimits};
pub use error::{CallError, PublishError, ServerError, SubscribeError};
pub use event::{
    CloseReason, DisconnectReason, Event, Message, PublishAck, ResetReason, SocketCommand, State,
    SubscribedOutcome,
};
pub use time::Time;

use channels::{Admission, Channels};
use requests::{PendingRequests, Request, RequestKind, Status};

/// Frames are coalesced into one outgoing WebSocket message up to this size.
const MAX_COALESCED_BYTES: usize = 64 << 10;

/// A heartbeat timer that fires later than this after its deadline was delayed (a
/// suspended process or a throttled background tab), so silence proves nothing: the
/// core probes with a ping before declaring the connection dead.
const LATE_TIMER_TOLERANCE: Duration = Duration::from_secs(1);

/// The connection's lifecycle.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Idle,
    /// `Open` was requested; waiting for the socket.
    Opening {
        deadline: Time,
    },
    /// `connect` sent; waiting for `connected`.
    Handshaking {
        deadline: Time,
    },
    Connected(Live),
    /// Waiting to reconnect.
    Waiting {
        until: Time,
    },
    Closed,
}

#[derive(Debug, Clone, PartialEq)]
struct Live {
    last_received: Time,
    /// Deadline of a liveness probe (a ping sent after a late timer or `reconnect_now`).
    probe: Option<Time>,
    /// Resubscribes of this connection's resync not yet answered; the offline queue is
    /// flushed when the last one is.
    resyncing: Vec<RequestId>,
}

/// Advice the server gave in a `disconnect` frame on the current connection.
#[derive(Debug, Clone)]
struct Advice {
    reconnect: bool,
    retry_after: Option<Duration>,
}

/// The resocket client as a pure state machine. See the [module docs](self) for the
/// order in which a driver calls it.
#[derive(Debug)]
pub struct ClientCore {
    config: Config,
    rng: SmallRng,
    backoff: Backoff,
    phase: Phase,
    failed_attempts: u32,
    session: Option<String>,
    ping_interval: Duration,
    ping_timeout: Duration,
    advice: Option<Advice>,
    channels: Channels,
    requests: PendingRequests,
    next_request: RequestId,
    msg_nonce: u64,
    msg_seq: u64,
    events: VecDeque<Event>,
    commands: VecDeque<SocketCommand>,
    outbox: VecDeque<Vec<u8>>,
}

impl ClientCore {
    /// A core in the [`State::Idle`] state.
    pub fn new(config: Config) -> Self {
        let mut rng = SmallRng::seed_from_u64(config.seed);
        let msg_nonce = rng.random();
        Self {
            backoff: Backoff::new(config.backoff),
            requests: PendingRequests::new(config.queue),
            ping_interval: config.ping_interval,
            ping_timeout: config.ping_timeout,
            config,
            rng,
            phase: Phase::Idle,
            failed_attempts: 0,
            session: None,
            advice: None,
            channels: Channels::default(),
            next_request: 1,
            msg_nonce,
            msg_seq: 0,
            events: VecDeque::new(),
            commands: VecDeque::new(),
            outbox: VecDeque::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The connection state.
    pub fn state(&self) -> State {
        match self.phase {
            Phase::Idle => State::Idle,
            Phase::Opening { .. } | Phase::Handshaking { .. } | Phase::Waiting { .. } => {
                State::Connecting
            }
            Phase::Connected(_) => State::Connected,
            Phase::Closed => State::Closed,
        }
    }

    /// Session id of the current (or last) connection.
    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// Items and payload bytes waiting in the offline queue.
    pub fn queued(&self) -> (usize, usize) {
        self.requests.queued()
    }

    /// Whether `channel` is subscribed (whether or not the server has confirmed it).
    pub fn is_subscribed(&self, channel: &str) -> bool {
        self.channels.contains(channel)
    }

    /// The position of the last message delivered on `channel`.
    pub fn position(&self, channel: &str) -> Option<&Position> {
        self.channels.get(channel)?.position.as_ref()
    }

    /// Replaces the token sent in the next `connect` frame.
    pub fn set_token(&mut self, token: Option<String>) {
        self.config.token = token;
    }

    // ----- application inputs -------------------------------------------------------

    /// Starts connecting (from `Idle` or `Closed`), or skips the wait before the next
    /// attempt.
    pub fn connect(&mut self, now: Time) {
        match self.phase {
            Phase::Idle | Phase::Closed => {
                self.failed_attempts = 0;
                self.start_attempt(now);
            }
            Phase::Waiting { .. } => self.start_attempt(now),
            _ => {}
        }
    }

    /// The network came back or the page became visible: reconnect at once instead of
    /// waiting out the backoff, or, when connected, probe the connection with a ping so
    /// that a socket that died silently is noticed within `ping_timeout`.
    pub fn reconnect_now(&mut self, now: Time) {
        match &self.phase {
            Phase::Waiting { .. } => self.start_attempt(now),
            Phase::Connected(live) if live.probe.is_none() => self.probe(now),
            _ => {}
        }
    }

    /// Closes the connection for good: fails every unanswered request with `Closed` and
    /// enters the `Closed` state. Subscriptions and positions are kept, so a later
    /// [`connect`](Self::connect) resumes them.
    pub fn close(&mut self, _now: Time) {
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        if self.has_socket() {
            self.commands.push_back(SocketCommand::Close {
                code: codes::close::NORMAL,
                reason: "client closed".into(),
            });
        }
        self.enter_closed(CloseReason::ClosedByApplication);
    }

    /// Subscribes to `channel`, resuming after `since` if given (for a position the
    /// application stored). Messages, resets and presence arrive as events.
    pub fn subscribe(
        &mut self,
        _now: Time,
        channel: &str,
        since: Option<Position>,
    ) -> Result<(), SubscribeError> {
        if self.phase == Phase::Closed {
            return Err(SubscribeError::Closed);
        }
        if self.channels.contains(channel) {
            return Err(SubscribeError::AlreadySubscribed(channel.to_owned()));
        }
        self.channels.insert(channel.to_owned(), since);
        if matches!(self.phase, Phase::Connected(_)) {
            self.send_subscribe(channel);
        }
        Ok(())
    }

    /// Unsubscribes from `channel`. No more events arrive for it.
    pub fn unsubscribe(&mut self, _now: Time, channel: &str) -> Result<(), SubscribeError> {
        let Some(removed) = self.channels.remove(channel) else {
            return Err(SubscribeError::NotSubscribed(channel.to_owned()));
        };
        if let channels::ChannelState::Subscribing(id) = removed.state {
            self.resync_step(id);
        }
        if matches!(self.phase, Phase::Connected(_)) {
            let id = self.next_id();
            self.send(&ClientFrame::Unsubscribe {
                id,
                channel: channel.to_owned(),
            });
        }
        Ok(())
    }

    /// Publishes `payload` on `channel`. The result arrives as [`Event::Published`] with
    /// the returned id. While disconnected the publish waits in the offline queue; after
    /// a reconnect an unacknowledged publish is sent again with the same message id, so
    /// the server publishes it once. `timeout` (or the configured default) bounds the
    /// wait for the acknowledgement.
    pub fn publish(
        &mut self,
        now: Time,
        channel: &str,
        payload: Payload,
        timeout: Option<Duration>,
    ) -> Result<RequestId, PublishError> {
        if self.phase == Phase::Closed {
            return Err(PublishError::Closed);
        }
        self.check_payload(&payload)
            .map_err(|(len, max)| PublishError::PayloadTooLarge { len, max })?;
        self.msg_seq += 1;
        let kind = RequestKind::Publish {
            channel: channel.to_owned(),
            msg_id: msg_id(self.msg_nonce, self.msg_seq),
            payload,
        };
        let deadline = timeout
            .or(self.config.default_publish_timeout)
            .map(|t| now + t);
        self.submit(kind, deadline)
            .map_err(|(items, bytes)| PublishError::QueueFull { items, bytes })
    }

    /// Calls the RPC handler `method`. The result arrives as [`Event::CallDone`] with the
    /// returned id. `timeout` (or the configured default) bounds the wait for the reply;
    /// a call still queued when it passes is never sent.
    pub fn call(
        &mut self,
        now: Time,
        method: &str,
        payload: Payload,
        timeout: Option<Duration>,
    ) -> Result<RequestId, CallError> {
        if self.phase == Phase::Closed {
            return Err(CallError::Closed);
        }
        self.check_payload(&payload)
            .map_err(|(len, max)| CallError::PayloadTooLarge { len, max })?;
        let kind = RequestKind::Call {
            method: method.to_owned(),
            payload,
        };
        let deadline = timeout
            .or(self.config.default_call_timeout)
            .map(|t| now + t);
        self.submit(kind, deadline)
            .map_err(|(items, bytes)| CallError::QueueFull { items, bytes })
    }

    // ----- socket inputs ------------------------------------------------------------

    /// The socket requested by [`SocketCommand::Open`] is open.
    pub fn handle_socket_open(&mut self, _now: Time) {
        if let Phase::Opening { deadline } = self.phase {
            self.phase = Phase::Handshaking { deadline };
            self.outbox.clear();
            self.send(&ClientFrame::Connect {
                version: PROTOCOL_VERSION,
                token: self.config.token.clone(),
                client: ClientInfo {
                    name: self.config.client_name.clone(),
                    version: self.config.client_version.clone(),
                },
                resume: self.session.clone(),
            });
        }
    }

    /// The socket closed or failed (`code` is `None` when there was no close frame).
    pub fn handle_socket_closed(&mut self, now: Time, code: Option<u16>, reason: &str) {
        if !self.has_socket() {
            return;
        }
        let reason = DisconnectReason::SocketClosed {
            code,
            reason: reason.to_owned(),
        };
        let refused = code.filter(|c| !codes::close::should_reconnect(*c));
        self.connection_lost(now, reason, refused);
    }

    /// One WebSocket message arrived.
    pub fn handle_message(&mut self, now: Time, bytes: &[u8]) {
        // A driver whose socket and timer are ready at once may hand over the message
        // first. Expire overdue requests before a `connected` or `subscribed` in this
        // message flushes the queue, so that a request past its deadline is never sent.
        self.expire_requests(now);
        if !matches!(self.phase, Phase::Handshaking { .. } | Phase::Connected(_)) {
            return;
        }
        if let Phase::Connected(live) = &mut self.phase {
            live.last_received = now;
            live.probe = None;
        }
        let encoding = self.config.encoding;
        let limits = self.config.decode_limits;
        let mut frames = Vec::new();
        let decoded = encoding.decode_each::<ServerFrame>(bytes, limits, |f| frames.push(f));
        for frame in frames {
            self.handle_frame(now, frame);
            if !self.has_socket() {
                return;
            }
        }
        if let Err(e) = decoded {
            self.commands.push_back(SocketCommand::Close {
                code: 1002,
                reason: "bad frame from server".into(),
            });
            self.connection_lost(now, DisconnectReason::BadServerFrame(e.to_string()), None);
        }
    }

    /// The deadline from [`poll_timeout`](Self::poll_timeout) was reached (calling it
    /// early or late is harmless).
    pub fn handle_timeout(&mut self, now: Time) {
        self.expire_requests(now);
        match self.phase.clone() {
            Phase::Opening { deadline } | Phase::Handshaking { deadline } if now >= deadline => {
                self.commands.push_back(SocketCommand::Close {
                    code: codes::close::NORMAL,
                    reason: "connect timeout".into(),
                });
                self.connection_lost(now, DisconnectReason::ConnectTimeout, None);
            }
            Phase::Connected(live) => {
                if let Some(probe) = live.probe {
                    if now >= probe {
                        self.heartbeat_expired(now);
                    }
                    return;
                }
                let deadline = live.last_received + self.ping_interval + self.ping_timeout;
                if now < deadline {
                    return;
                }
                if now - deadline > LATE_TIMER_TOLERANCE {
                    self.probe(now);
                } else {
                    self.heartbeat_expired(now);
                }
            }
            Phase::Waiting { until } if now >= until => self.start_attempt(now),
            _ => {}
        }
    }

    // ----- outputs ------------------------------------------------------------------

    /// The next thing to do with the socket.
    #[must_use]
    pub fn poll_socket(&mut self) -> Option<SocketCommand> {
        self.commands.pop_front()
    }

    /// The next WebSocket message to send (binary for MessagePack, UTF-8 text for JSON).
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.outbox.pop_front()
    }

    /// The next event for the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Time> {
        let phase_deadline = match &self.phase {
            Phase::Opening { deadline } | Phase::Handshaking { deadline } => Some(*deadline),
            Phase::Connected(live) => Some(
                live.probe
                    .unwrap_or(live.last_received + self.ping_interval + self.ping_timeout),
            ),
            Phase::Waiting { until } => Some(*until),
            Phase::Idle | Phase::Closed => None,
        };
        match (phase_deadline, self.requests.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ----- internals ----------------------------------------------------------------

    fn has_socket(&self) -> bool {
        matches!(
            self.phase,
            Phase::Opening { .. } | Phase::Handshaking { .. } | Phase::Connected(_)
        )
    }

    fn next_id(&mut self) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    fn check_payload(&self, payload: &Payload) -> Result<(), (usize, usize)> {
        let max = self.config.max_payload_bytes;
        if payload.len() > max {
            return Err((payload.len(), max));
        }
        Ok(())
    }

    /// Whether requests go straight to the socket (else they wait in the queue).
    fn can_send_requests(&self) -> bool {
        matches!(&self.phase, Phase::Connected(live) if live.resyncing.is_empty())
    }

    fn submit(
        &mut self,
        kind: RequestKind,
        deadline: Option<Time>,
    ) -> Result<RequestId, (usize, usize)> {
        let id = self.next_id();
        if self.can_send_requests() {
            self.send(&request_frame(id, &kind));
            self.requests
                .insert(id, kind, deadline, Status::Sent)
                .map_err(|f| (f.items, f.bytes))?;
        } else {
            self.requests
                .insert(id, kind, deadline, Status::Queued)
                .map_err(|f| (f.items, f.bytes))?;
        }
        Ok(id)
    }

    fn send(&mut self, frame: &ClientFrame) {
        let encoding = self.config.encoding;
        match self.outbox.back_mut() {
            Some(buf) if buf.len() < MAX_COALESCED_BYTES => encoding.encode_into(frame, buf),
            _ => self.outbox.push_back(encoding.encode(frame)),
        }
    }

    fn send_subscribe(&mut self, channel: &str) -> RequestId {
        let id = self.next_id();
        let since = self.channels.start_subscribe(channel, id);
        self.send(&ClientFrame::Subscribe {
            id,
            channel: channel.to_owned(),
            since,
        });
        id
    }

    fn probe(&mut self, now: Time) {
        let timeout = self.ping_timeout;
        if let Phase::Connected(live) = &mut self.phase {
            live.probe = Some(now + timeout);
        }
        self.send(&ClientFrame::Ping {});
    }

    fn heartbeat_expired(&mut self, now: Time) {
        self.commands.push_back(SocketCommand::Close {
            code: codes::close::HEARTBEAT_TIMEOUT,
            reason: "heartbeat timeout".into(),
        });
        self.connection_lost(now, DisconnectReason::HeartbeatTimeout, None);
    }

    fn start_attempt(&mut self, now: Time) {
        self.phase = Phase::Opening {
            deadline: now + self.config.connect_timeout,
        };
        self.advice = None;
        self.outbox.clear();
        self.commands.push_back(SocketCommand::Open {
            subprotocol: self.config.encoding.subprotocol(),
        });
        self.events.push_back(Event::Connecting {
            attempt: self.failed_attempts,
        });
    }

    /// The current socket is gone (or about to be closed by the driver). `refused`
    /// carries a close code that forbids reconnecting.
    fn connection_lost(&mut self, now: Time, reason: DisconnectReason, refused: Option<u16>) {
        let was_connected = matches!(self.phase, Phase::Connected(_));
        self.outbox.clear();
        self.channels.unsync_all();
        let requeue_calls = self.config.calls_on_disconnect == CallsOnDisconnect::KeepQueued;
        for id in self.requests.requeue_in_flight(requeue_calls) {
            self.events.push_back(Event::CallDone {
                id,
                result: Err(CallError::Disconnected),
            });
        }

        let advice = self.advice.take();
        let refusal = match (&reason, refused, &advice) {
            (_, _, Some(a)) if !a.reconnect => Some(reason_code(&reason)),
            (_, Some(code), _) => Some(code),
            _ => None,
        };
        if let Some(code) = refusal {
            self.events.push_back(Event::Disconnected {
                reason: reason.clone(),
                reconnect: false,
            });
            // Only a `disconnect` frame (advice) or a close code refuses, so the reason is
            // one of the first two; the names of the others are a fallback.
            let text = match &reason {
                DisconnectReason::ServerAdvice { reason, .. }
                | DisconnectReason::SocketClosed { reason, .. }
                | DisconnectReason::BadServerFrame(reason) => reason.clone(),
                DisconnectReason::HeartbeatTimeout => "HeartbeatTimeout".to_owned(),
                DisconnectReason::ConnectTimeout => "ConnectTimeout".to_owned(),
            };
            self.enter_closed(CloseReason::ServerRefused { code, reason: text });
            return;
        }

        if was_connected {
            self.failed_attempts = 0;
        } else {
            self.failed_attempts += 1;
        }
        self.events.push_back(Event::Disconnected {
            reason,
            reconnect: true,
        });
        if let Some(max) = self.config.max_reconnect_attempts {
            if self.failed_attempts >= max {
                self.enter_closed(CloseReason::ReconnectAttemptsExhausted {
                    attempts: self.failed_attempts,
                });
                return;
            }
        }
        let jittered = self.backoff.delay(self.failed_attempts, &mut self.rng);
        // A retry-after hint is a floor, and the jitter still applies on top of it: a
        // fleet told the same hint by a proxy or an unjittered server must not come
        // back in the same instant.
        let delay = match advice.and_then(|a| a.retry_after) {
            Some(hint) => hint + jittered,
            None => jittered,
        };
        self.phase = Phase::Waiting { until: now + delay };
        self.events.push_back(Event::ReconnectScheduled {
            attempt: self.failed_attempts,
            delay,
        });
    }

    fn enter_closed(&mut self, reason: CloseReason) {
        self.phase = Phase::Closed;
        self.outbox.clear();
        self.channels.unsync_all();
        for (id, request) in self.requests.drain() {
            self.fail_request(id, request, Failure::Closed);
        }
        self.events.push_back(Event::Closed { reason });
    }

    fn expire_requests(&mut self, now: Time) {
        for (id, request) in self.requests.expire(now) {
            self.fail_request(id, request, Failure::Timeout);
        }
    }

    fn fail_request(&mut self, id: RequestId, request: Request, failure: Failure) {
        let event = match request.kind {
            RequestKind::Publish { .. } => Event::Published {
                id,
                result: Err(match failure {
                    Failure::Timeout => PublishError::Timeout,
                    Failure::Closed => PublishError::Closed,
                    Failure::Server(e) => PublishError::Server(e),
                }),
            },
            RequestKind::Call { .. } => Event::CallDone {
                id,
                result: Err(match failure {
                    Failure::Timeout => CallError::Timeout,
                    Failure::Closed => CallError::Closed,
                    Failure::Server(e) => CallError::Server(e),
                }),
            },
        };
        self.events.push_back(event);
    }

    fn flush_queue(&mut self) {
        for (id, kind) in self.requests.take_queued_for_send() {
            self.send(&request_frame(id, &kind));
        }
    }

    fn handle_frame(&mut self, now: Time, frame: ServerFrame) {
        match frame {
            ServerFrame::Connected {
                session,
                ping_interval_ms,
                ping_timeout_ms,
                ..
            } => self.on_connected(now, session, ping_interval_ms, ping_timeout_ms),
            ServerFrame::Ping {} => self.send(&ClientFrame::Pong {}),
            ServerFrame::Pong {} => {}
            ServerFrame::Subscribed {
                id,
                epoch,
                offset,
                outcome,
                ..
            } => self.on_subscribed(id, Position { epoch, offset }, outcome),
            ServerFrame::Unsubscribed { .. } => {}
            ServerFrame::Message {
                channel,
                epoch,
                offset,
                payload,
                publisher,
            } => self.on_message(channel, epoch, offset, payload, publisher),
            ServerFrame::Presence { channel, event } => {
                if self.channels.contains(&channel) {
                    self.events.push_back(Event::Presence { channel, event });
                }
            }
            ServerFrame::PublishAck {
                id,
                epoch,
                offset,
                duplicate,
            } => {
                if let Some(Request {
                    kind: RequestKind::Publish { .. },
                    ..
                }) = self.requests.remove(id)
                {
                    self.events.push_back(Event::Published {
                        id,
                        result: Ok(PublishAck {
                            position: Position { epoch, offset },
                            duplicate,
                        }),
                    });
                }
            }
            ServerFrame::Reply { id, result } => {
                if self.requests.remove(id).is_some() {
                    let result = match result {
                        CallResult::Ok(payload) => Ok(payload),
                        CallResult::Err(body) => Err(CallError::Server(body.into())),
                    };
                    self.events.push_back(Event::CallDone { id, result });
                }
            }
            ServerFrame::Error { code, message, id } => {
                self.on_error(id, ServerError { code, message })
            }
            ServerFrame::Disconnect {
                code,
                reason,
                reconnect,
                retry_after_ms,
            } => {
                self.advice = Some(Advice {
                    reconnect: reconnect && codes::close::should_reconnect(code),
                    retry_after: retry_after_ms.map(Duration::from_millis),
                });
                self.commands.push_back(SocketCommand::Close {
                    code: codes::close::NORMAL,
                    reason: "server asked to disconnect".into(),
                });
                self.connection_lost(now, DisconnectReason::ServerAdvice { code, reason }, None);
            }
        }
    }

    fn on_connected(&mut self, now: Time, session: String, interval_ms: u64, timeout_ms: u64) {
        if !matches!(self.phase, Phase::Handshaking { .. }) {
            return;
        }
        self.ping_interval = Duration::from_millis(interval_ms);
        self.ping_timeout = Duration::from_millis(timeout_ms);
        self.failed_attempts = 0;
        self.session = Some(session.clone());
        self.events.push_back(Event::Connected { session });
        let mut resyncing = Vec::new();
        for channel in self.channels.unsynced() {
            resyncing.push(self.send_subscribe(&channel));
        }
        self.phase = Phase::Connected(Live {
            last_received: now,
            probe: None,
            resyncing,
        });
        if self.can_send_requests() {
            self.flush_queue();
        }
    }

    /// Subscribe request `id` was answered or abandoned; when it was the last of the
    /// resync after a reconnect, the offline queue is flushed.
    fn resync_step(&mut self, id: RequestId) {
        if let Phase::Connected(live) = &mut self.phase {
            let before = live.resyncing.len();
            live.resyncing.retain(|&r| r != id);
            if live.resyncing.len() < before && live.resyncing.is_empty() {
                self.flush_queue();
            }
        }
    }

    fn on_subscribed(
        &mut self,
        id: RequestId,
        server_position: Position,
        outcome: SubscribeOutcome,
    ) {
        // The request id names the channel; the frame's own name is not trusted.
        let Some(name) = self.channels.take_pending(id) else {
            return;
        };
        let outcome = match outcome {
            SubscribeOutcome::Fresh => {
                self.channels.activate(&name, Some(server_position));
                SubscribedOutcome::Fresh
            }
            SubscribeOutcome::Recovered { replayed } => {
                self.channels.activate(&name, None);
                SubscribedOutcome::Recovered { replayed }
            }
            SubscribeOutcome::Reset => {
                let lost = self
                    .channels
                    .get(&name)
                    .and_then(|c| c.position.clone())
                    .unwrap_or_else(|| server_position.clone());
                self.channels.activate(&name, Some(server_position));
                self.events.push_back(Event::Reset {
                    channel: name.clone(),
                    reason: ResetReason::PositionLost { lost },
                });
                SubscribedOutcome::Reset
            }
        };
        self.events.push_back(Event::Subscribed {
            channel: name,
            outcome,
        });
        self.resync_step(id);
    }

    fn on_message(
        &mut self,
        channel: String,
        epoch: String,
        offset: u64,
        payload: Payload,
        publisher: Option<String>,
    ) {
        match self.channels.admit(&channel, &epoch, offset) {
            Admission::Duplicate | Admission::NotActive => return,
            Admission::Deliver => {}
            Admission::Gap { expected } => self.events.push_back(Event::Reset {
                channel: channel.clone(),
                reason: ResetReason::Gap {
                    expected,
                    received: offset,
                },
            }),
            Admission::EpochChanged => self.events.push_back(Event::Reset {
                channel: channel.clone(),
                reason: ResetReason::EpochChanged,
            }),
        }
        self.events.push_back(Event::Message(Message {
            channel,
            position: Position { epoch, offset },
            payload,
            publisher,
        }));
    }

    fn on_error(&mut self, id: Option<RequestId>, error: ServerError) {
        let Some(id) = id else {
            self.events.push_back(Event::ServerError(error));
            return;
        };
        if let Some(channel) = self.channels.take_pending(id) {
            self.channels.remove(&channel);
            self.events.push_back(Event::SubscribeFailed {
                channel,
                error: SubscribeError::Server(error),
            });
            self.resync_step(id);
        } else if let Some(request) = self.requests.remove(id) {
            self.fail_request(id, request, Failure::Server(error));
        }
    }
}

/// How a request ended without an answer.
enum Failure {
    Timeout,
    Closed,
    Server(ServerError),
}

fn request_frame(id: RequestId, kind: &RequestKind) -> ClientFrame {
    match kind {
        RequestKind::Publish {
            channel,
            msg_id,
            payload,
        } => ClientFrame::Publish {
            id,
            channel: channel.clone(),
            msg_id: msg_id.clone(),
            payload: payload.clone(),
        },
        RequestKind::Call { method, payload } => ClientFrame::Call {
            id,
            method: method.clone(),
            payload: payload.clone(),
        },
    }
}

/// `{nonce:016x}-{seq}`: a per-client random prefix and a counter. Written by hand, as
/// everything on the browser module's paths is, to keep `core::fmt` out of it.
fn msg_id(nonce: u64, seq: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(24);
    for shift in (0..16).rev() {
        id.push(char::from(HEX[(nonce >> (4 * shift) & 0xf) as usize]));
    }
    id.push('-');
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = seq;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    id.extend(digits[i..].iter().map(|&d| char::from(d)));
    id
}

fn reason_code(reason: &DisconnectReason) -> u16 {
    match reason {
        DisconnectReason::ServerAdvice { code, .. } => *code,
        DisconnectReason::SocketClosed { code: Some(c), .. } => *c,
        _ => codes::close::NORMAL,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn msg_id_is_the_hex_nonce_and_the_decimal_counter() {
        for (nonce, seq) in [(0, 0), (1, 9), (0xdead_beef, 10), (u64::MAX, u64::MAX)] {
            assert_eq!(super::msg_id(nonce, seq), format!("{nonce:016x}-{seq}"));
        }
    }
}
