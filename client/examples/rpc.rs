//! Acked RPC over resocket: calls the server's `echo` method with a timeout.
//!
//! Run the server (`cargo run -p resocket-server`), then
//! `cargo run -p resocket --example rpc -- "hello"`.

use std::time::{Duration, Instant};

use resocket::{CallError, Client, Config, State};

#[tokio::main]
async fn main() {
    let text = std::env::args().nth(1).unwrap_or_else(|| "hello".into());
    let url = std::env::var("RESOCKET_URL").unwrap_or_else(|_| "ws://127.0.0.1:8080/ws".into());
    let client = Client::connect(url, Config::default());
    if client.connected().await != State::Connected {
        eprintln!("could not connect");
        std::process::exit(1);
    }
    let started = Instant::now();
    let reply: Result<String, CallError> = client.call("echo", &text, Duration::from_secs(5)).await;
    match reply {
        Ok(reply) => println!("echo replied {reply:?} in {:?}", started.elapsed()),
        Err(CallError::Timeout) => eprintln!("no reply within 5 s"),
        Err(e) => eprintln!("call failed: {e}"),
    }
    client.close().await;
}
