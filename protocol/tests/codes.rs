//! Close codes tell the client whether to come back; the groups are part of the protocol.

use resocket_protocol::codes::{close, error};

#[test]
fn codes_below_4100_and_above_4199_mean_reconnect() {
    for code in [
        close::NORMAL,
        close::GOING_AWAY,
        close::SHUTDOWN,
        close::HEARTBEAT_TIMEOUT,
        close::SLOW_CONSUMER,
        close::RATE_LIMITED,
        close::BAD_FRAME,
        close::FRAME_TOO_LARGE,
        close::PROTOCOL_VIOLATION,
        // Abnormal closure (no close frame) and codes this version does not define.
        1006,
        1011,
        4099,
        4200,
    ] {
        assert!(close::should_reconnect(code), "{code}");
    }
}

#[test]
fn codes_from_4100_to_4199_mean_stay_away() {
    for code in [
        close::UNAUTHORIZED,
        close::UNSUPPORTED_PROTOCOL,
        close::FORBIDDEN,
        4102,
        4199,
    ] {
        assert!(!close::should_reconnect(code), "{code}");
    }
}

#[test]
fn code_values_are_stable() {
    assert_eq!(
        [
            close::SHUTDOWN,
            close::HEARTBEAT_TIMEOUT,
            close::SLOW_CONSUMER,
            close::RATE_LIMITED,
            close::BAD_FRAME,
            close::FRAME_TOO_LARGE,
            close::PROTOCOL_VIOLATION,
            close::UNAUTHORIZED,
            close::UNSUPPORTED_PROTOCOL,
            close::FORBIDDEN,
        ],
        [4000, 4001, 4002, 4003, 4004, 4005, 4006, 4100, 4101, 4103]
    );
    let protocol_errors = [
        error::BAD_REQUEST,
        error::PERMISSION_DENIED,
        error::TOO_MANY_SUBSCRIPTIONS,
        error::RATE_LIMITED,
        error::METHOD_NOT_FOUND,
        error::ALREADY_SUBSCRIBED,
        error::NOT_SUBSCRIBED,
        error::PAYLOAD_TOO_LARGE,
        error::INTERNAL,
        error::BAD_FRAME,
        error::HANDLER_TIMEOUT,
    ];
    assert_eq!(
        protocol_errors,
        [100, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112]
    );
    assert!(protocol_errors.iter().all(|&c| c < error::APPLICATION_BASE));
    assert_eq!(error::APPLICATION_BASE, 1000);
}
