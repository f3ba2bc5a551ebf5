//! The browser platform: `web_sys::WebSocket`, `setTimeout`, `performance.now()` and the
//! page's event loop.
//!
//! Everything here runs on the one thread of a page (or worker): tasks are spawned with
//! `spawn_local`, and the socket's JS callbacks push into the same unbounded channels the
//! native platform uses, so the shared driver loop cannot tell the two apart.
//!
//! Besides sockets and timers, a browser tells us things a native process has to find
//! out the hard way: the network came back (`online`), the tab is visible again after
//! being throttled in the background (`visibilitychange`), or the page was restored from
//! the back/forward cache (`pageshow`). On each of those the client reconnects at once
//! instead of waiting out its backoff, or probes a connection it believes is up (see
//! [`ClientCore::reconnect_now`](crate::ClientCore::reconnect_now)). A heartbeat timer
//! that a background tab fired late is handled by the core itself.

use std::future::Future;
use std::time::Duration;

use futures_channel::mpsc::{self, UnboundedReceiver, UnboundedSender};
use futures_util::{select_biased, StreamExt};
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    BinaryType, CloseEvent, Event, EventTarget, MessageEvent, VisibilityState, WebSocket,
};

use crate::core::Time;
use crate::driver::{Command, Outgoing, Platform, SocketChannels, SocketEvent};

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: milliseconds since the page (or worker) started, monotonic.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;

    /// `crypto.getRandomValues(buf)`; throws where there is no Web Crypto.
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;
}

/// The browser platform.
pub(crate) struct Browser;

impl Platform for Browser {
    fn now() -> Time {
        let ms = performance_now();
        Time::from_duration(Duration::from_secs_f64(ms.max(0.0) / 1000.0))
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> {
        // Round up: a timer that fires a fraction of a millisecond early would only
        // re-arm a zero-length timer. `setTimeout` treats delays above i32::MAX as 1 ms.
        let ms = duration.as_micros().div_ceil(1000).min(i32::MAX as u128) as u32;
        TimeoutFuture::new(ms)
    }

    fn open(url: &str, subprotocol: &'static str, binary: bool) -> SocketChannels {
        let (outgoing, outgoing_rx) = mpsc::unbounded();
        let (incoming_tx, incoming) = mpsc::unbounded();
        wasm_bindgen_futures::spawn_local(socket_task(
            url.to_owned(),
            subprotocol,
            binary,
            outgoing_rx,
            incoming_tx,
        ));
        SocketChannels { outgoing, incoming }
    }
}

/// Runs `future` on the page's event loop.
pub(crate) fn spawn(future: impl Future<Output = ()> + 'static) {
    wasm_bindgen_futures::spawn_local(future);
}

/// A seed from `crypto.getRandomValues`, or from `Math.random` and the clock where Web
/// Crypto is missing.
pub(crate) fn random_seed() -> u64 {
    let mut buf = [0u8; 8];
    if get_random_values(&mut buf).is_ok() && buf != [0; 8] {
        return u64::from_le_bytes(buf);
    }
    let high = (js_sys::Math::random() * f64::from(u32::MAX)) as u64;
    let low = (js_sys::Math::random() * f64::from(u32::MAX)) as u64;
    (high << 32 | low) ^ performance_now().to_bits()
}

/// Forwards the application's commands to the driver and adds a
/// [`Command::ReconnectNow`] whenever the page says the network or the tab is back.
///
/// The page's listeners live as long as the returned receiver's driver: they are
/// removed when every handle is gone (the command stream ends), which is also when the
/// driver ends. Without a `window` (a worker, Node) only the forwarding remains.
pub(crate) fn with_page_wakeups(
    commands: UnboundedReceiver<Command>,
) -> UnboundedReceiver<Command> {
    let (to_driver, driver_commands) = mpsc::unbounded();
    let (wake_tx, wake_rx) = mpsc::unbounded();
    let listeners = PageListeners::install(wake_tx);
    spawn(forward(commands, wake_rx, to_driver, listeners));
    driver_commands
}

async fn forward(
    commands: UnboundedReceiver<Command>,
    wakeups: UnboundedReceiver<()>,
    to_driver: UnboundedSender<Command>,
    listeners: PageListeners,
) {
    let mut commands = commands.fuse();
    let mut wakeups = wakeups.fuse();
    loop {
        let command = select_biased! {
            command = commands.next() => match command {
                Some(command) => command,
                None => break,
            },
            wake = wakeups.next() => match wake {
                Some(()) => Command::ReconnectNow,
                None => continue,
            },
        };
        if to_driver.unbounded_send(command).is_err() {
            break;
        }
    }
    // Dropping `to_driver` ends the driver; the listeners go with it.
    drop(listeners);
}

type Listener = Closure<dyn FnMut(Event)>;

/// `online`, `offline`, `pageshow` on the window and `visibilitychange` on the document,
/// removed on drop.
struct PageListeners {
    installed: Vec<(EventTarget, &'static str, Listener)>,
}

impl PageListeners {
    fn install(wake: UnboundedSender<()>) -> Self {
        let mut installed = Vec::new();
        let Some(window) = web_sys::window() else {
            return Self { installed };
        };
        let document = window.document();
        let window: EventTarget = window.into();
        for name in ["online", "offline", "pageshow"] {
            let wake = wake.clone();
            let listener = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
                let _ = wake.unbounded_send(());
            });
            installed.push((window.clone(), name, listener));
        }
        if let Some(document) = document {
            let doc = document.clone();
            let listener = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
                if doc.visibility_state() == VisibilityState::Visible {
                    let _ = wake.unbounded_send(());
                }
            });
            installed.push((document.into(), "visibilitychange", listener));
        }
        for (target, name, listener) in &installed {
            let _ =
                target.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        }
        Self { installed }
    }
}

impl Drop for PageListeners {
    fn drop(&mut self) {
        for (target, name, listener) in &self.installed {
            let _ =
                target.remove_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        }
    }
}

thread_local! {
    /// One handler that ignores its event, for the life of the page.
    static IGNORE_EVENT: Closure<dyn FnMut(Event)> = Closure::new(|_: Event| {});
}

/// The socket's JS callbacks; detached (and freed) on drop, so a socket the driver gave
/// up on reports nothing more.
struct SocketCallbacks {
    ws: WebSocket,
    _open: Closure<dyn FnMut(Event)>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

impl SocketCallbacks {
    fn attach(ws: WebSocket, incoming: UnboundedSender<SocketEvent>) -> Self {
        let tx = incoming.clone();
        let open = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            let _ = tx.unbounded_send(SocketEvent::Opened);
        });
        let tx = incoming.clone();
        let message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e.data();
            let bytes = if let Some(buffer) = data.dyn_ref::<js_sys::ArrayBuffer>() {
                js_sys::Uint8Array::new(buffer).to_vec()
            } else if let Some(text) = data.as_string() {
                text.into_bytes()
            } else {
                return;
            };
            let _ = tx.unbounded_send(SocketEvent::Message(bytes));
        });
        let close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            let code = match e.code() {
                // 1005: no status in the close frame; 1006: no close frame at all. Native
                // sockets report both as "no code".
                1005 | 1006 => None,
                code => Some(code),
            };
            let reason = match (e.reason(), code) {
                (r, _) if !r.is_empty() => r,
                (_, None) => "connection closed abnormally".to_owned(),
                (_, Some(_)) => String::new(),
            };
            let _ = incoming.unbounded_send(SocketEvent::Closed { code, reason });
        });
        ws.set_onopen(Some(open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(close.as_ref().unchecked_ref()));
        // `error` always precedes a `close` and carries nothing (a plain `Event`): the
        // close event alone reports the end of the socket. A handler is set anyway, and
        // left set: Node's `ws` (a stand-in for the browser's WebSocket) throws an
        // `error` nobody listens to, even after we gave up on the socket.
        IGNORE_EVENT.with(|ignore| ws.set_onerror(Some(ignore.as_ref().unchecked_ref())));
        Self {
            ws,
            _open: open,
            _message: message,
            _close: close,
        }
    }
}

impl Drop for SocketCallbacks {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
    }
}

async fn socket_task(
    url: String,
    subprotocol: &'static str,
    binary: bool,
    mut outgoing: UnboundedReceiver<Outgoing>,
    incoming: UnboundedSender<SocketEvent>,
) {
    let ws = match WebSocket::new_with_str(&url, subprotocol) {
        Ok(ws) => ws,
        Err(e) => {
            let reason = describe(&e);
            let _ = incoming.unbounded_send(SocketEvent::Closed { code: None, reason });
            return;
        }
    };
    ws.set_binary_type(BinaryType::Arraybuffer);
    let callbacks = SocketCallbacks::attach(ws, incoming.clone());
    let ws = &callbacks.ws;
    while let Some(out) = outgoing.next().await {
        match out {
            Outgoing::Message(bytes) => {
                let sent = if binary {
                    ws.send_with_u8_array(&bytes)
                } else {
                    match std::str::from_utf8(&bytes) {
                        Ok(text) => ws.send_with_str(text),
                        Err(_) => continue,
                    }
                };
                // Sending fails only on a socket that is closing; its close event follows.
                let _ = sent;
            }
            Outgoing::Close { code, reason } => {
                close(ws, code, &reason);
                return;
            }
        }
    }
    // The driver dropped the socket (connect timeout, or the client is gone).
    close(ws, 1000, "");
}

/// Closes with `code` where a page may send it (1000 or 3000–4999; anything else makes
/// `close()` throw), and a reason cut to the 123 bytes a close frame can carry.
fn close(ws: &WebSocket, code: u16, reason: &str) {
    let code = if code == 1000 || (3000..=4999).contains(&code) {
        code
    } else {
        1000
    };
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let reason = reason.get(..end).unwrap_or_default();
    if ws.close_with_code_and_reason(code, reason).is_err() {
        let _ = ws.close();
    }
}

fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "cannot open WebSocket".to_owned())
}
