//! The seed's side of the contrast, run for real: the Flask app that asks a
//! request thread for "the" event loop fails, and its two thread-owned fixes
//! work (python/, in the project's venv).
//!
//! Run: `make test`, or after `scripts/setup.sh --python`:
//! `cargo test --test python_seed`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::time::{Duration, Instant};

use common::{Server, get};

#[test]
fn the_seed_fails_with_no_current_event_loop_in_its_request_thread() {
    let server = Server::python("seed.py");
    let reply = get(&server.url("/toy"));
    assert_eq!(reply.status, 500, "{reply:?}");
    // The traceback is logged after the response is sent.
    let deadline = Instant::now() + Duration::from_secs(5);
    let wanted = "RuntimeError: There is no current event loop in thread 'Thread-";
    while !server.log().contains(wanted) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.log();
    assert!(log.contains(wanted), "no {wanted:?} in the log:\n{log}");
}

/// 200 `{"result": 1}` after at least the 1 s sleep, and 50 concurrent
/// requests overlapping (50 s one by one).
fn answers_after_the_sleep_and_overlaps(script: &str) {
    let server = Server::python(script);
    let reply = get(&server.url("/toy"));
    assert_eq!(reply.status, 200, "{reply:?}\n{}", server.log());
    assert_eq!(common::json(&reply), serde_json::json!({ "result": 1 }));
    assert!(
        reply.elapsed >= Duration::from_secs(1),
        "{:?}",
        reply.elapsed
    );

    let (replies, wall) = common::concurrent_gets(&server.url("/toy"), 50);
    for reply in &replies {
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(common::json(reply)["result"], 1);
        assert!(
            reply.elapsed >= Duration::from_secs(1),
            "{:?}",
            reply.elapsed
        );
    }
    assert!(
        wall < Duration::from_secs(10),
        "50 concurrent requests took {wall:?}"
    );
}

#[test]
fn flask_with_a_loop_per_request_thread_answers_and_overlaps() {
    answers_after_the_sleep_and_overlaps("flask_fixed.py");
}

#[test]
fn quart_on_the_loop_hypercorn_owns_answers_and_overlaps() {
    answers_after_the_sleep_and_overlaps("quart_app.py");
}
