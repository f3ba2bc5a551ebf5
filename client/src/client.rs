//! The application-facing client handle, the same on every platform.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_channel::mpsc::{self, UnboundedReceiver, UnboundedSender};
use futures_channel::oneshot;
use futures_util::Stream;
use resocket_protocol::{Payload, PresenceMember};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::core::{ClientCore, Config, Event, PublishAck, State};
use crate::driver::{self, ChannelEvent, Command, EventBatch, Hub, SharedStatus};
use crate::platform::{self, Current};
use crate::{CallError, ConnectionStatus, PublishError};

/// A resocket client. Cheap to clone; every clone drives the same connection, which is
/// closed when the last clone and the last [`Subscription`] are dropped.
///
/// On native targets it must be created inside a tokio runtime; in the browser it runs
/// on the page's event loop.
#[derive(Clone)]
pub struct Client {
    commands: UnboundedSender<Command>,
    shared: SharedStatus,
    next_listener: Arc<AtomicU64>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("status", &self.shared.status())
            .finish()
    }
}

impl Client {
    /// Starts a client for the WebSocket endpoint `url` (e.g. `ws://127.0.0.1:8080/ws`)
    /// and begins connecting in the background. Publishes, calls and subscriptions made
    /// before the connection is up wait in the offline queue. A `config.seed` of 0 is
    /// replaced by one drawn from the platform's entropy.
    pub fn connect(url: impl Into<String>, mut config: Config) -> Client {
        if config.seed == 0 {
            config.seed = platform::random_seed();
        }
        let (commands, receiver) = mpsc::unbounded();
        let shared = SharedStatus::default();
        let core = ClientCore::new(config);
        // In a browser, `online`, `visibilitychange` and `pageshow` add reconnect-now
        // commands to the stream; natively the stream is passed through.
        let receiver = platform::with_page_wakeups(receiver);
        platform::spawn(driver::run::<Current>(
            core,
            url.into(),
            receiver,
            Hub::new(shared.clone()),
        ));
        Client {
            commands,
            shared,
            next_listener: Arc::new(AtomicU64::new(1)),
        }
    }

    fn send(&self, command: Command) {
        // Fails only when the driver has stopped; every request then completes with
        // `Closed` because its reply sender is dropped.
        let _ = self.commands.unbounded_send(command);
    }

    /// Waits until the client is connected. Returns the state it settled in: `Connected`,
    /// or `Closed` if the client gave up or was closed first.
    pub async fn connected(&self) -> State {
        self.shared.wait_settled().await.unwrap_or(State::Closed)
    }

    /// The current connection state.
    pub fn state(&self) -> State {
        self.shared.status().state
    }

    /// State, reconnect attempt, next retry delay and offline queue size.
    pub fn status(&self) -> ConnectionStatus {
        self.shared.status()
    }

    /// A stream of connection events: `Connecting`, `Connected`, `Disconnected`,
    /// `ReconnectScheduled`, `Closed` and server errors not tied to a request. The first
    /// event is the latest of `Connecting`, `Connected`, `ReconnectScheduled` and
    /// `Closed` emitted so far (none while idle), so a stream taken right after
    /// [`connect`](Self::connect) starts with the first `Connecting`.
    pub fn connection_events(&self) -> EventStream {
        let (tx, rx) = mpsc::unbounded();
        self.send(Command::WatchConnection { events: tx });
        EventStream { events: rx }
    }

    /// Publishes a typed value (encoded as MessagePack) and waits for the server's
    /// acknowledgement. While disconnected it waits in the offline queue.
    pub async fn publish<T: Serialize + ?Sized>(
        &self,
        channel: &str,
        value: &T,
    ) -> Result<PublishAck, PublishError> {
        self.publish_payload(channel, Payload::encode(value)?, None)
            .await
    }

    /// Publishes raw bytes with an optional deadline for the acknowledgement.
    pub async fn publish_payload(
        &self,
        channel: &str,
        payload: Payload,
        timeout: Option<Duration>,
    ) -> Result<PublishAck, PublishError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Publish {
            channel: channel.to_owned(),
            payload,
            timeout,
            reply,
        });
        rx.await.unwrap_or(Err(PublishError::Closed))
    }

    /// Calls the RPC handler `method` with a typed request and decodes the typed reply.
    pub async fn call<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        method: &str,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp, CallError> {
        let reply = self
            .call_payload(method, Payload::encode(request)?, Some(timeout))
            .await?;
        Ok(reply.decode()?)
    }

    /// Calls the RPC handler `method` with raw bytes.
    pub async fn call_payload(
        &self,
        method: &str,
        payload: Payload,
        timeout: Option<Duration>,
    ) -> Result<Payload, CallError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Call {
            method: method.to_owned(),
            payload,
            timeout,
            reply,
        });
        rx.await.unwrap_or(Err(CallError::Closed))
    }

    /// Subscribes to `channel`. Several subscriptions to one channel share one server
    /// subscription; the server subscription ends when the last is dropped.
    pub fn subscribe(&self, channel: &str) -> Subscription {
        let (tx, rx) = mpsc::unbounded();
        let listener = self.next_listener.fetch_add(1, Ordering::Relaxed);
        self.send(Command::Subscribe {
            channel: channel.to_owned(),
            listener,
            events: tx,
        });
        Subscription {
            channel: channel.to_owned(),
            listener,
            events: rx,
            received: Vec::new().into_iter(),
            commands: self.commands.clone(),
        }
    }

    /// The members currently present in a subscribed channel.
    pub fn presence(&self, channel: &str) -> Vec<PresenceMember> {
        self.shared.presence(channel)
    }

    /// Reconnects at once if waiting to retry (network back, app in the foreground), or
    /// probes the current connection.
    pub fn reconnect_now(&self) {
        self.send(Command::ReconnectNow);
    }

    /// Starts connecting again after [`close`](Self::close) or a terminal failure.
    pub fn reconnect(&self) {
        self.send(Command::Connect);
    }

    /// Replaces the token sent on the next connect.
    pub fn set_token(&self, token: Option<String>) {
        self.send(Command::SetToken(token));
    }

    /// Closes the connection: pending requests fail with `Closed`. Subscriptions are
    /// kept and resume if [`reconnect`](Self::reconnect) is called.
    pub async fn close(&self) {
        let (done, rx) = oneshot::channel();
        self.send(Command::Close { done });
        let _ = rx.await;
    }
}

/// The events of one channel: messages exactly once and in order, resets, presence.
/// Dropping it unsubscribes (when no other subscription to the channel remains).
pub struct Subscription {
    channel: String,
    listener: u64,
    /// Events arrive in batches (all those of one driver input)...
    events: UnboundedReceiver<EventBatch>,
    /// ...and are yielded one by one.
    received: std::vec::IntoIter<ChannelEvent>,
    commands: UnboundedSender<Command>,
}

impl Subscription {
    /// The channel name.
    pub fn channel(&self) -> &str {
        &self.channel
    }
}

impl Stream for Subscription {
    type Item = ChannelEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ChannelEvent>> {
        loop {
            if let Some(event) = self.received.next() {
                return Poll::Ready(Some(event));
            }
            match Pin::new(&mut self.events).poll_next(cx) {
                Poll::Ready(Some(batch)) => self.received = batch.into_iter(),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let _ = self.commands.unbounded_send(Command::Unsubscribe {
            channel: std::mem::take(&mut self.channel),
            listener: self.listener,
        });
    }
}

/// Connection events of a [`Client`].
pub struct EventStream {
    events: UnboundedReceiver<Event>,
}

impl Stream for EventStream {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        Pin::new(&mut self.events).poll_next(cx)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use std::time::Duration;

    use futures_util::StreamExt;

    use super::*;

    /// The driver emits the first `Connecting` before it reads any command, so a watcher
    /// added right after `connect` hears it only because a new watcher is given the
    /// current state first.
    #[tokio::test]
    async fn a_watcher_added_right_after_connect_hears_the_first_connecting() {
        // Nothing listens on port 1: every attempt is refused.
        let client = Client::connect("ws://127.0.0.1:1/ws", Config::default());
        let mut events = client.connection_events();
        let first = tokio::time::timeout(Duration::from_secs(5), events.next()).await;
        assert_eq!(first.unwrap(), Some(Event::Connecting { attempt: 0 }));
        let second = tokio::time::timeout(Duration::from_secs(5), events.next()).await;
        assert!(
            matches!(second.unwrap(), Some(Event::Disconnected { .. })),
            "the attempt's outcome follows"
        );
    }

    #[tokio::test]
    async fn a_late_watcher_starts_with_the_current_state() {
        let client = Client::connect("ws://127.0.0.1:1/ws", Config::default());
        let mut early = client.connection_events();
        // Wait until the first attempt failed and the next one is scheduled.
        while !matches!(
            early.next().await,
            Some(Event::ReconnectScheduled { attempt: 1, .. })
        ) {}
        let mut late = client.connection_events();
        assert!(matches!(
            late.next().await,
            Some(Event::ReconnectScheduled { attempt: 1, .. })
        ));
        client.close().await;
        assert!(matches!(late.next().await, Some(Event::Closed { .. })));
    }
}
