//! A TCP proxy that can misbehave on command: cut every connection, or go silent while
//! keeping the sockets open (a half-open network path).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Default)]
struct Flags {
    blackhole: AtomicBool,
    refuse: AtomicBool,
}

/// A proxy on 127.0.0.1 forwarding to an upstream address.
pub struct ChaosProxy {
    addr: SocketAddr,
    flags: Arc<Flags>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl ChaosProxy {
    /// Starts a proxy on a free port forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> ChaosProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let flags = Arc::new(Flags::default());
        let connections = Arc::new(Mutex::new(Vec::new()));
        let accept = tokio::spawn(accept_loop(
            listener,
            upstream,
            flags.clone(),
            connections.clone(),
        ));
        ChaosProxy {
            addr,
            flags,
            connections,
            accept,
        }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://` URL of the server's WebSocket endpoint through the proxy.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Drops every open connection at once (both sides see the TCP connection end).
    pub fn cut_all(&self) {
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// While on, bytes are read and discarded in both directions; sockets stay open.
    pub fn set_blackhole(&self, on: bool) {
        self.flags.blackhole.store(on, Ordering::SeqCst);
    }

    /// While on, new connections are closed as soon as they are accepted.
    pub fn set_refuse(&self, on: bool) {
        self.flags.refuse.store(on, Ordering::SeqCst);
    }
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut_all();
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    flags: Arc<Flags>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
) {
    while let Ok((client, _)) = listener.accept().await {
        if flags.refuse.load(Ordering::SeqCst) {
            drop(client);
            continue;
        }
        let flags = flags.clone();
        let task = tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(upstream).await else {
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            let up = pump(client_read, server_write, flags.clone());
            let down = pump(server_read, client_write, flags);
            tokio::select! {
                _ = up => {}
                _ = down => {}
            }
        });
        let mut all = connections.lock().unwrap();
        all.retain(|t| !t.is_finished());
        all.push(task);
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    flags: Arc<Flags>,
) {
    let mut buf = vec![0u8; 16 << 10];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if flags.blackhole.load(Ordering::SeqCst) {
            continue;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
