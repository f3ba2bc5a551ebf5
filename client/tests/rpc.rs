//! Acked RPC on simulated time: replies, typed errors, timeouts, late replies, and what a
//! lost connection does to a call in flight under each `CallsOnDisconnect` policy.

mod sim;

use std::time::Duration;

use resocket::protocol::{codes, ClientFrame, Encoding, ServerFrame};
use resocket::{CallError, CallsOnDisconnect, Config, Payload, RequestId, ServerError};
use sim::server::{FAIL_CODE, FAIL_MESSAGE};
use sim::{secs, ServerConfig, Sim};

fn config(seed: u64) -> Config {
    Config {
        seed,
        ..Config::default()
    }
}

fn connected(seed: u64, config: Config) -> Sim {
    let mut sim = Sim::new(seed, ServerConfig::default());
    let c = sim.add_client(config);
    sim.connect_and_wait(c);
    sim
}

/// How many `call` frames with this id the server received.
fn calls_received(sim: &Sim, id: RequestId) -> usize {
    sim.server
        .received_from(0)
        .filter(|r| matches!(&r.frame, ClientFrame::Call { id: i, .. } if *i == id))
        .count()
}

#[test]
fn replies_and_typed_errors_reach_the_caller_in_both_encodings() {
    for encoding in [Encoding::MsgPack, Encoding::Json] {
        let mut sim = connected(
            1,
            Config {
                encoding,
                ..config(1)
            },
        );
        let payload = Payload::from((0..=255u8).collect::<Vec<u8>>());
        let echo = sim.call(0, "echo", payload.clone(), None).unwrap();
        let fail = sim.call(0, "fail", Payload::from(&b"x"[..]), None).unwrap();
        let missing = sim.call(0, "nope", Payload::default(), None).unwrap();
        sim.drive_for(secs(1.0));

        let results = sim.client(0).call_results();
        assert_eq!(results.len(), 3, "{encoding:?}: {results:?}");
        let result = |id| {
            results
                .iter()
                .find(|(_, i, _)| *i == id)
                .map(|(_, _, r)| r.clone())
                .unwrap()
        };
        assert_eq!(result(echo), Ok(payload), "{encoding:?}");
        assert_eq!(
            result(fail),
            Err(CallError::Server(ServerError {
                code: FAIL_CODE,
                message: FAIL_MESSAGE.into()
            })),
            "{encoding:?}"
        );
        match result(missing) {
            Err(CallError::Server(e)) => assert_eq!(e.code, codes::error::METHOD_NOT_FOUND),
            other => panic!("{encoding:?}: unknown method gave {other:?}"),
        }
    }
}

#[test]
fn a_call_without_reply_times_out_exactly_at_its_deadline() {
    let mut sim = connected(2, config(2));
    let start = sim.time;
    let id = sim
        .call(0, "slow", Payload::default(), Some(secs(3.0)))
        .unwrap();
    sim.drive_for(secs(120.0));

    let results = sim.client(0).call_results();
    assert_eq!(
        results,
        vec![(start + secs(3.0), id, Err(CallError::Timeout))]
    );
    assert_eq!(calls_received(&sim, id), 1);
    assert!(
        sim.client(0).is_connected(),
        "a slow call must not hurt the connection"
    );
}

#[test]
fn a_reply_arriving_after_the_timeout_is_ignored() {
    let mut sim = connected(3, config(3));
    let start = sim.time;
    let id = sim
        .call(0, "late", Payload::from(&b"too late"[..]), Some(secs(2.0)))
        .unwrap();
    sim.drive_for(secs(10.0));

    let replied = sim
        .server
        .sent
        .iter()
        .any(|s| matches!(&s.frame, ServerFrame::Reply { id: i, .. } if *i == id));
    assert!(replied, "the server did answer, late");
    assert_eq!(
        sim.client(0).call_results(),
        vec![(start + secs(2.0), id, Err(CallError::Timeout))],
        "exactly one outcome, the timeout"
    );

    // The connection and later calls are unaffected.
    let next = sim
        .call(0, "echo", Payload::from(&b"ok"[..]), None)
        .unwrap();
    sim.drive_for(secs(1.0));
    let results = sim.client(0).call_results();
    assert_eq!(results.len(), 2);
    assert_eq!(results[1].1, next);
    assert_eq!(results[1].2, Ok(Payload::from(&b"ok"[..])));
}

#[test]
fn by_default_a_lost_connection_fails_calls_in_flight_and_does_not_resend_them() {
    let mut sim = connected(4, config(4));
    let in_flight = sim
        .call(0, "slow", Payload::default(), Some(secs(30.0)))
        .unwrap();
    sim.drive_for(secs(1.0));
    assert_eq!(calls_received(&sim, in_flight), 1);

    let killed_at = sim.time;
    sim.kill_connection(0);
    // Made while disconnected: waits in the offline queue, is sent after reconnecting.
    let queued = sim
        .call(0, "echo", Payload::from(&b"later"[..]), None)
        .unwrap();
    sim.drive_for(secs(60.0));

    let results = sim.client(0).call_results();
    assert_eq!(results.len(), 2, "{results:?}");
    assert_eq!(
        results[0],
        (killed_at, in_flight, Err(CallError::Disconnected))
    );
    assert_eq!(results[1].1, queued);
    assert_eq!(results[1].2, Ok(Payload::from(&b"later"[..])));
    assert_eq!(sim.client(0).connected_at().len(), 2);
    assert_eq!(
        calls_received(&sim, in_flight),
        1,
        "a failed call is not resent"
    );
    assert_eq!(calls_received(&sim, queued), 1);
}

#[test]
fn keep_queued_resends_a_call_in_flight_after_reconnect_and_delivers_its_reply_once() {
    let mut sim = connected(
        5,
        Config {
            calls_on_disconnect: CallsOnDisconnect::KeepQueued,
            ..config(5)
        },
    );
    // `late` answers after 5 s; the connection dies before that.
    let id = sim
        .call(
            0,
            "late",
            Payload::from(&b"idempotent"[..]),
            Some(secs(60.0)),
        )
        .unwrap();
    sim.drive_for(secs(1.0));
    sim.kill_connection(0);
    assert!(sim.client(0).call_results().is_empty(), "no outcome yet");
    sim.drive_for(secs(30.0));

    let results = sim.client(0).call_results();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].1, id);
    assert_eq!(results[0].2, Ok(Payload::from(&b"idempotent"[..])));
    assert_eq!(calls_received(&sim, id), 2, "sent again with the same id");
    assert_eq!(sim.server.calls["late"], 2);
    let reconnected = sim.client(0).connected_at()[1];
    let resent = sim
        .server
        .received_from(0)
        .filter(|r| matches!(&r.frame, ClientFrame::Call { id: i, .. } if *i == id))
        .nth(1)
        .unwrap();
    assert!(resent.at > reconnected);
    assert!(results[0].0 >= resent.at + Duration::from_secs(5));
}

#[test]
fn keep_queued_calls_still_time_out_while_disconnected() {
    let mut sim = connected(
        6,
        Config {
            calls_on_disconnect: CallsOnDisconnect::KeepQueued,
            ..config(6)
        },
    );
    let start = sim.time;
    let id = sim
        .call(0, "slow", Payload::default(), Some(secs(10.0)))
        .unwrap();
    sim.drive_for(secs(1.0));
    sim.set_offline(0, true);
    sim.drive_for(secs(60.0));
    sim.set_offline(0, false);
    sim.drive_for(secs(60.0));

    assert_eq!(
        sim.client(0).call_results(),
        vec![(start + secs(10.0), id, Err(CallError::Timeout))]
    );
    assert_eq!(
        calls_received(&sim, id),
        1,
        "an expired call is never resent"
    );
}
