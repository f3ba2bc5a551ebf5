//! The driver loop shared by every platform.
//!
//! It owns a [`ClientCore`] and does exactly what the core's docs prescribe: feed an
//! input, drain `poll_socket`, `poll_transmit` and `poll_event`, re-arm one timer. The
//! platform supplies only a clock, a sleep, and sockets that speak over channels
//! ([`Platform`]); the application talks to the loop through [`Command`]s sent by
//! [`Client`](crate::Client) handles and hears back through the [`Hub`].

mod hub;

use std::future::Future;
use std::time::Duration;

use futures_channel::mpsc::{TryRecvError, UnboundedReceiver, UnboundedSender};
use futures_channel::oneshot;
use futures_util::{future, pin_mut, select_biased, FutureExt, StreamExt};
use resocket_protocol::Payload;

use crate::core::{ClientCore, Event, PublishAck, SocketCommand, Time};
use crate::{CallError, PublishError};

pub use hub::{ChannelEvent, ConnectionStatus};
pub(crate) use hub::{EventBatch, Hub, SharedStatus};

/// What a platform provides to the driver loop.
pub(crate) trait Platform: 'static {
    /// Time since an origin fixed for the life of the process or page.
    fn now() -> Time;
    /// Completes after `duration`.
    fn sleep(duration: Duration) -> impl Future<Output = ()>;
    /// Starts opening a WebSocket in a task of its own. The task reports on the
    /// returned receiver (`Opened` first, then messages, then one `Closed`) and sends
    /// what arrives on the returned sender; dropping that sender closes the socket.
    fn open(url: &str, subprotocol: &'static str, binary: bool) -> SocketChannels;
}

/// What the socket task reports.
#[derive(Debug)]
pub(crate) enum SocketEvent {
    Opened,
    Message(Vec<u8>),
    Closed { code: Option<u16>, reason: String },
}

/// What the driver asks of the socket task.
#[derive(Debug)]
pub(crate) enum Outgoing {
    Message(Vec<u8>),
    Close { code: u16, reason: String },
}

/// Both ends of one socket, seen from the driver.
pub(crate) struct SocketChannels {
    pub(crate) outgoing: UnboundedSender<Outgoing>,
    pub(crate) incoming: UnboundedReceiver<SocketEvent>,
}

/// A request from a [`Client`](crate::Client) handle to the driver loop.
pub(crate) enum Command {
    Publish {
        channel: String,
        payload: Payload,
        timeout: Option<Duration>,
        reply: oneshot::Sender<Result<PublishAck, PublishError>>,
    },
    Call {
        method: String,
        payload: Payload,
        timeout: Option<Duration>,
        reply: oneshot::Sender<Result<Payload, CallError>>,
    },
    Subscribe {
        channel: String,
        listener: u64,
        events: UnboundedSender<EventBatch>,
    },
    Unsubscribe {
        channel: String,
        listener: u64,
    },
    WatchConnection {
        events: UnboundedSender<Event>,
    },
    Connect,
    ReconnectNow,
    SetToken(Option<String>),
    Close {
        done: oneshot::Sender<()>,
    },
}

/// Most socket events handled before the core's outputs are drained again.
const SOCKET_BATCH: usize = 512;

enum Wake {
    Socket(Option<SocketEvent>),
    Command(Option<Command>),
    Timer,
}

/// Runs a client until every handle is dropped.
pub(crate) async fn run<P: Platform>(
    mut core: ClientCore,
    url: String,
    mut commands: UnboundedReceiver<Command>,
    mut hub: Hub,
) {
    let binary = core.config().encoding.is_binary();
    let mut socket: Option<SocketChannels> = None;
    core.connect(P::now());
    loop {
        drain::<P>(&mut core, &mut socket, &mut hub, &url, binary);
        let wake = {
            let timer = match core.poll_timeout() {
                Some(at) => P::sleep(at.saturating_since(P::now())).left_future(),
                None => future::pending().right_future(),
            }
            .fuse();
            let next_socket_event = async {
                match socket.as_mut() {
                    Some(s) => s.incoming.next().await,
                    None => future::pending().await,
                }
            }
            .fuse();
            pin_mut!(timer, next_socket_event);
            select_biased! {
                event = next_socket_event => Wake::Socket(event),
                command = commands.next() => Wake::Command(command),
                () = timer => Wake::Timer,
            }
        };
        match wake {
            Wake::Socket(event) => {
                let mut event = event;
                for _ in 0..SOCKET_BATCH {
                    let closed = handle_socket_event::<P>(&mut core, event);
                    if closed {
                        socket = None;
                        break;
                    }
                    match socket.as_mut().map(|s| s.incoming.try_recv()) {
                        Some(Ok(next)) => event = Some(next),
                        Some(Err(TryRecvError::Closed)) => event = None,
                        _ => break,
                    }
                }
            }
            Wake::Command(Some(command)) => {
                if let Some(done) = apply::<P>(&mut core, &mut hub, command) {
                    drain::<P>(&mut core, &mut socket, &mut hub, &url, binary);
                    let _ = done.send(());
                }
            }
            Wake::Command(None) => {
                core.close(P::now());
                drain::<P>(&mut core, &mut socket, &mut hub, &url, binary);
                return;
            }
            Wake::Timer => core.handle_timeout(P::now()),
        }
    }
}

/// Feeds one socket event to the core; true when the socket is gone.
fn handle_socket_event<P: Platform>(core: &mut ClientCore, event: Option<SocketEvent>) -> bool {
    let now = P::now();
    match event {
        Some(SocketEvent::Opened) => core.handle_socket_open(now),
        Some(SocketEvent::Message(bytes)) => core.handle_message(now, &bytes),
        Some(SocketEvent::Closed { code, reason }) => {
            core.handle_socket_closed(now, code, &reason);
            return true;
        }
        None => {
            core.handle_socket_closed(now, None, "socket task ended");
            return true;
        }
    }
    false
}

/// Applies one command; returns the completion to signal once the core's outputs have
/// been executed (for `close`).
fn apply<P: Platform>(
    core: &mut ClientCore,
    hub: &mut Hub,
    command: Command,
) -> Option<oneshot::Sender<()>> {
    let now = P::now();
    match command {
        Command::Publish {
            channel,
            payload,
            timeout,
            reply,
        } => match core.publish(now, &channel, payload, timeout) {
            Ok(id) => hub.await_publish(id, reply),
            Err(e) => {
                let _ = reply.send(Err(e));
            }
        },
        Command::Call {
            method,
            payload,
            timeout,
            reply,
        } => match core.call(now, &method, payload, timeout) {
            Ok(id) => hub.await_call(id, reply),
            Err(e) => {
                let _ = reply.send(Err(e));
            }
        },
        Command::Subscribe {
            channel,
            listener,
            events,
        } => {
            if !core.is_subscribed(&channel) {
                if let Err(e) = core.subscribe(now, &channel, None) {
                    let _ = events.unbounded_send(vec![ChannelEvent::Failed(e)]);
                    return None;
                }
            }
            hub.add_listener(channel, listener, events);
        }
        Command::Unsubscribe { channel, listener } => {
            if hub.remove_listener(&channel, listener) && core.is_subscribed(&channel) {
                let _ = core.unsubscribe(now, &channel);
            }
        }
        Command::WatchConnection { events } => hub.watch_connection(events),
        Command::Connect => core.connect(now),
        Command::ReconnectNow => core.reconnect_now(now),
        Command::SetToken(token) => core.set_token(token),
        Command::Close { done } => {
            core.close(now);
            return Some(done);
        }
    }
    None
}

/// Executes everything the core asks for and hands its events to the hub.
fn drain<P: Platform>(
    core: &mut ClientCore,
    socket: &mut Option<SocketChannels>,
    hub: &mut Hub,
    url: &str,
    binary: bool,
) {
    while let Some(command) = core.poll_socket() {
        match command {
            SocketCommand::Open { subprotocol } => {
                *socket = Some(P::open(url, subprotocol, binary));
            }
            SocketCommand::Close { code, reason } => {
                if let Some(old) = socket.take() {
                    let _ = old
                        .outgoing
                        .unbounded_send(Outgoing::Close { code, reason });
                }
            }
        }
    }
    while let Some(bytes) = core.poll_transmit() {
        if let Some(s) = socket.as_ref() {
            let _ = s.outgoing.unbounded_send(Outgoing::Message(bytes));
        }
    }
    while let Some(event) = core.poll_event() {
        hub.dispatch(event);
    }
    hub.flush();
    hub.publish_status(core);
}
