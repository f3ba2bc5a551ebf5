//! Hands the core's events to the application: completes pending publishes and calls,
//! fans channel events out to every listener of the channel, tracks presence sets, and
//! keeps a status snapshot that handles can read without asking the driver.
//!
//! Channel events are batched: a listener collects what one input of the driver
//! produced (a WebSocket message can carry thousands of deliveries) and receives it as
//! one [`EventBatch`] when the driver has drained the core ([`Hub::flush`]), instead of
//! one channel send per event. The last listener of a channel gets the event itself,
//! the others a clone.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_channel::mpsc::UnboundedSender;
use futures_channel::oneshot;
use resocket_protocol::{Payload, PresenceEvent, PresenceMember, RequestId};

use crate::core::{ClientCore, Event, Message, PublishAck, ResetReason, State, SubscribedOutcome};
use crate::{CallError, PublishError, SubscribeError};

/// An event of one channel, as a [`Subscription`](crate::Subscription) yields it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ChannelEvent {
    /// The channel was (re)subscribed; after a reconnect, says whether missed messages
    /// were recovered.
    Subscribed(SubscribedOutcome),
    /// A message, in order and exactly once.
    Message(Message),
    /// Messages were lost and cannot be replayed: reload the channel's state.
    Reset(ResetReason),
    /// Presence snapshot or change.
    Presence(PresenceEvent),
    /// The subscription was refused or ended; no more events follow.
    Failed(SubscribeError),
}

/// What handles can read at any time.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionStatus {
    /// Connection state.
    pub state: State,
    /// Consecutive failed attempts while reconnecting.
    pub attempt: u32,
    /// Delay before the next attempt, when one is scheduled.
    pub next_retry: Option<Duration>,
    /// Items and payload bytes in the offline queue.
    pub queued: (usize, usize),
    /// Session id of the current or last connection.
    pub session: Option<String>,
}

impl Default for ConnectionStatus {
    fn default() -> Self {
        Self {
            state: State::Idle,
            attempt: 0,
            next_retry: None,
            queued: (0, 0),
            session: None,
        }
    }
}

#[derive(Debug, Default)]
struct Snapshot {
    status: ConnectionStatus,
    presence: HashMap<String, BTreeMap<String, PresenceMember>>,
    waiting_connected: Vec<oneshot::Sender<State>>,
}

/// The part of the hub shared with handles.
#[derive(Debug, Clone, Default)]
pub(crate) struct SharedStatus(Arc<Mutex<Snapshot>>);

impl SharedStatus {
    fn lock(&self) -> MutexGuard<'_, Snapshot> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn status(&self) -> ConnectionStatus {
        self.lock().status.clone()
    }

    pub(crate) fn presence(&self, channel: &str) -> Vec<PresenceMember> {
        self.lock()
            .presence
            .get(channel)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Resolves with the state once it is `Connected` or `Closed`.
    pub(crate) fn wait_settled(&self) -> oneshot::Receiver<State> {
        let (tx, rx) = oneshot::channel();
        let mut snapshot = self.lock();
        match snapshot.status.state {
            State::Connected | State::Closed => {
                let _ = tx.send(snapshot.status.state);
            }
            _ => snapshot.waiting_connected.push(tx),
        }
        rx
    }
}

/// The channel events one listener receives at a time, in order.
pub(crate) type EventBatch = Vec<ChannelEvent>;

struct Listener {
    id: u64,
    events: UnboundedSender<EventBatch>,
    /// Events not yet sent.
    batch: EventBatch,
}

/// Owned by the driver loop.
pub(crate) struct Hub {
    shared: SharedStatus,
    publishes: HashMap<RequestId, oneshot::Sender<Result<PublishAck, PublishError>>>,
    calls: HashMap<RequestId, oneshot::Sender<Result<Payload, CallError>>>,
    listeners: HashMap<String, Vec<Listener>>,
    connection_watchers: Vec<UnboundedSender<Event>>,
    /// The last event that said where the connection stands (`Connecting`, `Connected`,
    /// `ReconnectScheduled` or `Closed`): a new watcher hears it first.
    connection_state: Option<Event>,
}

impl Hub {
    pub(crate) fn new(shared: SharedStatus) -> Self {
        Self {
            shared,
            publishes: HashMap::new(),
            calls: HashMap::new(),
            listeners: HashMap::new(),
            connection_watchers: Vec::new(),
            connection_state: None,
        }
    }

    pub(crate) fn await_publish(
        &mut self,
        id: RequestId,
        reply: oneshot::Sender<Result<PublishAck, PublishError>>,
    ) {
        self.publishes.insert(id, reply);
    }

    pub(crate) fn await_call(
        &mut self,
        id: RequestId,
        reply: oneshot::Sender<Result<Payload, CallError>>,
    ) {
        self.calls.insert(id, reply);
    }

    /// Adds a listener; a channel already subscribed hands it the current presence set.
    pub(crate) fn add_listener(
        &mut self,
        channel: String,
        id: u64,
        events: UnboundedSender<EventBatch>,
    ) {
        let members = self.shared.presence(&channel);
        let listeners = self.listeners.entry(channel).or_default();
        let mut batch = Vec::new();
        if !listeners.is_empty() {
            batch.push(ChannelEvent::Presence(PresenceEvent::Snapshot { members }));
        }
        listeners.push(Listener { id, events, batch });
    }

    /// Removes a listener; true when it was the channel's last.
    pub(crate) fn remove_listener(&mut self, channel: &str, id: u64) -> bool {
        let Some(listeners) = self.listeners.get_mut(channel) else {
            return false;
        };
        listeners.retain(|l| l.id != id);
        if listeners.is_empty() {
            self.listeners.remove(channel);
            self.shared.lock().presence.remove(channel);
            return true;
        }
        false
    }

    /// Adds a connection watcher. Its first event is the current state, so a watcher
    /// registered right after `Client::connect` still hears the first `Connecting`
    /// (which the driver emits before it reads its first command).
    pub(crate) fn watch_connection(&mut self, events: UnboundedSender<Event>) {
        if let Some(state) = &self.connection_state {
            if events.unbounded_send(state.clone()).is_err() {
                return;
            }
        }
        self.connection_watchers.push(events);
    }

    fn send_to_channel(&mut self, channel: &str, event: ChannelEvent) {
        if let Some(listeners) = self.listeners.get_mut(channel) {
            if let Some((last, others)) = listeners.split_last_mut() {
                for listener in others {
                    listener.batch.push(event.clone());
                }
                last.batch.push(event);
            }
        }
    }

    /// Sends every listener what it collected, and forgets listeners whose
    /// subscription is gone. The driver calls it after draining the core.
    pub(crate) fn flush(&mut self) {
        self.listeners.retain(|_, listeners| {
            listeners.retain_mut(send_batch);
            !listeners.is_empty()
        });
    }

    fn send_to_watchers(&mut self, event: Event) {
        if matches!(
            event,
            Event::Connecting { .. }
                | Event::Connected { .. }
                | Event::ReconnectScheduled { .. }
                | Event::Closed { .. }
        ) {
            self.connection_state = Some(event.clone());
        }
        self.connection_watchers
            .retain(|w| w.unbounded_send(event.clone()).is_ok());
    }

    pub(crate) fn dispatch(&mut self, event: Event) {
        match event {
            Event::Message(message) => {
                if let Some(listeners) = self.listeners.get_mut(&message.channel) {
                    if let Some((last, others)) = listeners.split_last_mut() {
                        for listener in others {
                            listener.batch.push(ChannelEvent::Message(message.clone()));
                        }
                        last.batch.push(ChannelEvent::Message(message));
                    }
                }
            }
            Event::Published { id, result } => {
                if let Some(reply) = self.publishes.remove(&id) {
                    let _ = reply.send(result);
                }
            }
            Event::CallDone { id, result } => {
                if let Some(reply) = self.calls.remove(&id) {
                    let _ = reply.send(result);
                }
            }
            Event::Subscribed { channel, outcome } => {
                self.send_to_channel(&channel, ChannelEvent::Subscribed(outcome))
            }
            Event::Reset { channel, reason } => {
                self.send_to_channel(&channel, ChannelEvent::Reset(reason))
            }
            Event::Presence { channel, event } => {
                self.track_presence(&channel, &event);
                self.send_to_channel(&channel, ChannelEvent::Presence(event));
            }
            Event::SubscribeFailed { channel, error } => {
                self.send_to_channel(&channel, ChannelEvent::Failed(error));
                // Its listeners end here: send them what they have, this last event too.
                for mut listener in self.listeners.remove(&channel).unwrap_or_default() {
                    send_batch(&mut listener);
                }
                self.shared.lock().presence.remove(&channel);
            }
            Event::ReconnectScheduled { attempt, delay } => {
                {
                    let mut snapshot = self.shared.lock();
                    snapshot.status.attempt = attempt;
                    snapshot.status.next_retry = Some(delay);
                }
                self.send_to_watchers(Event::ReconnectScheduled { attempt, delay });
            }
            Event::Connected { session } => {
                {
                    let mut snapshot = self.shared.lock();
                    snapshot.status.attempt = 0;
                    snapshot.status.next_retry = None;
                    snapshot.status.session = Some(session.clone());
                }
                self.send_to_watchers(Event::Connected { session });
            }
            other => self.send_to_watchers(other),
        }
    }

    fn track_presence(&mut self, channel: &str, event: &PresenceEvent) {
        let mut snapshot = self.shared.lock();
        let members = snapshot.presence.entry(channel.to_owned()).or_default();
        match event {
            PresenceEvent::Snapshot { members: all } => {
                members.clear();
                for m in all {
                    members.insert(m.session.clone(), m.clone());
                }
            }
            PresenceEvent::Join { member } => {
                members.insert(member.session.clone(), member.clone());
            }
            PresenceEvent::Leave { member } => {
                members.remove(&member.session);
            }
        }
    }

    /// Copies the core's state into the shared snapshot and wakes waiters.
    pub(crate) fn publish_status(&mut self, core: &ClientCore) {
        let mut snapshot = self.shared.lock();
        let state = core.state();
        snapshot.status.state = state;
        snapshot.status.queued = core.queued();
        if state != State::Connecting {
            snapshot.status.next_retry = None;
        }
        if matches!(state, State::Connected | State::Closed) {
            for waiter in snapshot.waiting_connected.drain(..) {
                let _ = waiter.send(state);
            }
        }
    }
}

/// Sends a listener's collected events; false when its subscription is gone.
fn send_batch(listener: &mut Listener) -> bool {
    if listener.batch.is_empty() {
        return !listener.events.is_closed();
    }
    let batch = std::mem::take(&mut listener.batch);
    listener.events.unbounded_send(batch).is_ok()
}
