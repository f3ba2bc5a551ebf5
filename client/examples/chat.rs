//! A terminal chat over resocket.
//!
//! Run the server (`cargo run -p resocket-server`), then in two terminals:
//! `cargo run -p resocket --example chat -- alice` and `… -- bob`.
//! Type a line to send it; `/quit` leaves. Messages typed while the server is down are
//! queued and sent when it comes back, and each is published exactly once.

use std::time::Duration;

use futures_util::StreamExt;
use resocket::{ChannelEvent, Client, Config, Event};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Debug, Serialize, Deserialize)]
struct ChatLine {
    from: String,
    text: String,
}

#[tokio::main]
async fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "guest".into());
    let url = std::env::var("RESOCKET_URL").unwrap_or_else(|_| "ws://127.0.0.1:8080/ws".into());
    let config = Config {
        default_publish_timeout: Some(Duration::from_secs(60)),
        ..Config::default()
    };
    let client = Client::connect(url, config);

    let mut connection = client.connection_events();
    tokio::spawn(async move {
        while let Some(event) = connection.next().await {
            match event {
                Event::Connected { .. } => eprintln!("* connected"),
                Event::ReconnectScheduled { delay, .. } => {
                    eprintln!("* reconnecting in {:.1}s", delay.as_secs_f64())
                }
                Event::Closed { reason } => eprintln!("* closed: {reason:?}"),
                _ => {}
            }
        }
    });

    let mut room = client.subscribe("chat:lobby");
    tokio::spawn(async move {
        while let Some(event) = room.next().await {
            match event {
                ChannelEvent::Message(m) => match m.decode::<ChatLine>() {
                    Ok(line) => println!("<{}> {}", line.from, line.text),
                    Err(e) => eprintln!("* unreadable message: {e}"),
                },
                ChannelEvent::Reset(_) => eprintln!("* some history was lost"),
                ChannelEvent::Presence(p) => eprintln!("* presence: {p:?}"),
                _ => {}
            }
        }
    });

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(text)) = lines.next_line().await {
        if text == "/quit" {
            break;
        }
        let line = ChatLine {
            from: name.clone(),
            text,
        };
        let client = client.clone();
        tokio::spawn(async move {
            if let Err(e) = client.publish("chat:lobby", &line).await {
                eprintln!("* not sent: {e}");
            }
        });
    }
    client.close().await;
}
