//! Loopback benchmarks: `cargo run --release -p resocket-bench` prints the figures.
//!
//! The binary starts itself a second time as the server (`resocket-bench serve`), so
//! that the server's memory is measured alone, then runs each measurement against it:
//!
//! * acked RPC round trip (p50/p99) over 10,000 sequential `echo` calls;
//! * server→client messages/s on one connection for 200,000 small messages;
//! * deliveries/s on one channel with 2,000 subscribers;
//! * server RSS per idle connection at 2,000 connections.
//!
//! The messages are generated inside the server by the `burst` RPC method, so the
//! figures measure delivery, not a publisher.

mod server;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use futures_util::StreamExt;
use resocket::{ChannelEvent, Client, Config, Payload, State};

#[derive(Parser)]
#[command(about = "resocket loopback benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Option<Mode>,
    /// RPC calls to time.
    #[arg(long, default_value_t = 10_000)]
    calls: usize,
    /// Messages sent to one connection.
    #[arg(long, default_value_t = 200_000)]
    messages: u64,
    /// Subscribers of the fan-out channel (and idle connections measured).
    #[arg(long, default_value_t = 2_000)]
    subscribers: usize,
    /// Messages published to the fan-out channel.
    #[arg(long, default_value_t = 200)]
    fanout_messages: u64,
}

#[derive(Subcommand)]
enum Mode {
    /// Run the benchmark server on the given port (used by the bench itself).
    Serve {
        #[arg(long)]
        port: u16,
    },
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Some(Mode::Serve { port }) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
            .block_on(server::serve(port)),
        // The clients run on one thread: their tasks hand work to each other without
        // crossing threads, and the server process keeps the other core.
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
            .block_on(run(cli)),
    }
}

struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl ServerProcess {
    fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id()))
            .expect("read server status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmRSS")
            * 1024
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

async fn run(cli: Cli) {
    let port = free_port();
    let server = ServerProcess(
        Command::new(std::env::current_exe().expect("own path"))
            .args(["serve", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .expect("start server process"),
    );
    let url = format!("ws://127.0.0.1:{port}/ws");
    let probe = loop {
        let client = Client::connect(url.clone(), config(1));
        if tokio::time::timeout(Duration::from_secs(1), client.connected()).await
            == Ok(State::Connected)
        {
            break client;
        }
        client.close().await;
    };

    println!("resocket loopback benchmarks ({} cores)", num_cores());
    // Memory first, while the server's heap holds nothing freed by earlier runs.
    fan_out_and_memory(&server, &url, cli.subscribers, cli.fanout_messages).await;
    rpc_latency(&probe, cli.calls).await;
    one_connection_throughput(&probe, &url, cli.messages).await;
    probe.close().await;
}

fn config(seed: u64) -> Config {
    Config {
        seed,
        default_call_timeout: Some(Duration::from_secs(120)),
        ..Config::default()
    }
}

fn num_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

async fn rpc_latency(client: &Client, calls: usize) {
    let payload = Payload::encode(&"ping").unwrap();
    for _ in 0..500 {
        client
            .call_payload("echo", payload.clone(), None)
            .await
            .unwrap();
    }
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        client
            .call_payload("echo", payload.clone(), None)
            .await
            .unwrap();
        samples.push(started.elapsed());
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "rpc round trip ({calls} sequential calls): p50 {} µs, p99 {} µs",
        pct(0.50).as_micros(),
        pct(0.99).as_micros()
    );
}

async fn one_connection_throughput(client: &Client, url: &str, messages: u64) {
    let receiver = Client::connect(url.to_owned(), config(2));
    let mut sub = receiver.subscribe("throughput");
    while !matches!(sub.next().await, Some(ChannelEvent::Subscribed(_))) {}
    let started = Instant::now();
    let burst = server::Burst {
        channel: "throughput".into(),
        count: messages,
        size: 16,
    };
    let trigger = client.clone();
    let publishing = tokio::spawn(async move {
        trigger
            .call::<_, u64>("burst", &burst, Duration::from_secs(120))
            .await
    });
    let mut received = 0u64;
    while received < messages {
        match sub.next().await {
            Some(ChannelEvent::Message(_)) => received += 1,
            Some(ChannelEvent::Reset(r)) => panic!("reset during throughput run: {r:?}"),
            Some(_) => {}
            None => panic!("subscription ended"),
        }
    }
    let elapsed = started.elapsed();
    publishing.await.unwrap().expect("burst");
    println!(
        "server→client on one connection: {messages} messages in {:.3} s = {:.0} msg/s",
        elapsed.as_secs_f64(),
        messages as f64 / elapsed.as_secs_f64()
    );
    receiver.close().await;
}

async fn fan_out_and_memory(server: &ServerProcess, url: &str, subscribers: usize, messages: u64) {
    let baseline = server.rss_bytes();
    let mut clients = Vec::with_capacity(subscribers);
    for i in 0..subscribers {
        clients.push(Client::connect(url.to_owned(), config(1_000 + i as u64)));
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    for client in &clients {
        assert_eq!(client.connected().await, State::Connected);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let loaded = server.rss_bytes();
    println!(
        "server RSS: {:.1} MiB idle, {:.1} MiB with {subscribers} connections = {:.1} KiB per idle connection",
        baseline as f64 / 1048576.0,
        loaded as f64 / 1048576.0,
        (loaded.saturating_sub(baseline)) as f64 / 1024.0 / subscribers as f64
    );

    let delivered = Arc::new(AtomicU64::new(0));
    let mut subscribed = Vec::new();
    for client in &clients {
        let mut sub = client.subscribe("fanout");
        let delivered = delivered.clone();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let mut ready = Some(ready_tx);
            while let Some(event) = sub.next().await {
                match event {
                    ChannelEvent::Subscribed(_) => {
                        if let Some(r) = ready.take() {
                            let _ = r.send(());
                        }
                    }
                    ChannelEvent::Message(_) => {
                        delivered.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
        });
        subscribed.push(ready_rx);
    }
    for ready in subscribed {
        ready.await.expect("subscribed");
    }
    let expected = messages * subscribers as u64;
    let started = Instant::now();
    let burst = server::Burst {
        channel: "fanout".into(),
        count: messages,
        size: 16,
    };
    clients[0]
        .call::<_, u64>("burst", &burst, Duration::from_secs(120))
        .await
        .expect("burst");
    while delivered.load(Ordering::Relaxed) < expected {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "fan-out stalled"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let elapsed = started.elapsed();
    println!(
        "fan-out to {subscribers} subscribers: {expected} deliveries in {:.3} s = {:.0} deliveries/s",
        elapsed.as_secs_f64(),
        expected as f64 / elapsed.as_secs_f64()
    );
    for client in clients {
        client.close().await;
    }
    // Let the server finish tearing the connections down before the next measurement.
    tokio::time::sleep(Duration::from_secs(2)).await;
}
