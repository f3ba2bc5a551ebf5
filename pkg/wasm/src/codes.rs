//! The numeric codes that cross to JS. `pkg/src/codes.ts` names the same numbers for
//! TypeScript; a test below reads that file and checks the two agree.
//!
//! Error codes below 100 are the client's own; 100 and up are the server's (protocol
//! codes below 1000, application codes from 1000), passed through unchanged.

/// No answer before the deadline.
pub(crate) const TIMEOUT: u16 = 1;
/// The client is closed (or not connected yet).
pub(crate) const CLOSED: u16 = 2;
/// The connection was lost before the reply.
pub(crate) const DISCONNECTED: u16 = 3;
/// The offline queue is full.
pub(crate) const QUEUE_FULL: u16 = 4;
/// The payload is larger than allowed.
pub(crate) const PAYLOAD_TOO_LARGE: u16 = 5;
/// A value could not be encoded, or a payload decoded.
pub(crate) const BAD_PAYLOAD: u16 = 6;

/// Disconnected: the socket closed or failed.
pub(crate) const DISCONNECT_TRANSPORT_CLOSED: u16 = 1;
/// Disconnected: the server went silent.
pub(crate) const DISCONNECT_HEARTBEAT_TIMEOUT: u16 = 2;
/// Disconnected: opening the socket or the handshake took too long.
pub(crate) const DISCONNECT_CONNECT_TIMEOUT: u16 = 3;
/// Disconnected: the server sent a `disconnect` frame.
pub(crate) const DISCONNECT_SERVER: u16 = 4;
/// Disconnected: the server sent bytes that are not frames.
pub(crate) const DISCONNECT_BAD_FRAME: u16 = 5;

/// Closed: the application called `close()`.
pub(crate) const CLOSED_BY_APPLICATION: u16 = 0;
/// Closed: the server refused the client (do not reconnect).
pub(crate) const CLOSED_SERVER_REFUSED: u16 = 1;
/// Closed: out of reconnect attempts.
pub(crate) const CLOSED_ATTEMPTS_EXHAUSTED: u16 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    /// The `Name = number` members of `export enum {name}` in `pkg/src/codes.ts`.
    fn ts_enum(source: &str, name: &str) -> Vec<(String, u16)> {
        let start = source
            .find(&format!("export enum {name} {{"))
            .unwrap_or_else(|| panic!("codes.ts has no enum {name}"));
        let body = &source[start..];
        let body = &body[..body.find('}').expect("enum ends")];
        body.lines()
            .filter_map(|line| {
                let (member, value) = line.trim().trim_end_matches(',').split_once(" = ")?;
                Some((member.to_owned(), value.parse().ok()?))
            })
            .collect()
    }

    fn pairs(list: &[(&str, u16)]) -> Vec<(String, u16)> {
        list.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect()
    }

    #[test]
    fn the_package_names_the_same_numbers() {
        let source =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../src/codes.ts"))
                .expect("read pkg/src/codes.ts");
        assert_eq!(
            ts_enum(&source, "ErrorCode"),
            pairs(&[
                ("Timeout", TIMEOUT),
                ("Closed", CLOSED),
                ("Disconnected", DISCONNECTED),
                ("QueueFull", QUEUE_FULL),
                ("PayloadTooLarge", PAYLOAD_TOO_LARGE),
                ("BadPayload", BAD_PAYLOAD),
            ])
        );
        assert_eq!(
            ts_enum(&source, "DisconnectCode"),
            pairs(&[
                ("TransportClosed", DISCONNECT_TRANSPORT_CLOSED),
                ("HeartbeatTimeout", DISCONNECT_HEARTBEAT_TIMEOUT),
                ("ConnectTimeout", DISCONNECT_CONNECT_TIMEOUT),
                ("ServerDisconnect", DISCONNECT_SERVER),
                ("BadServerFrame", DISCONNECT_BAD_FRAME),
            ])
        );
        assert_eq!(
            ts_enum(&source, "ClosedCode"),
            pairs(&[
                ("ClosedByApplication", CLOSED_BY_APPLICATION),
                ("ServerRefused", CLOSED_SERVER_REFUSED),
                ("ReconnectAttemptsExhausted", CLOSED_ATTEMPTS_EXHAUSTED),
            ])
        );
    }
}
