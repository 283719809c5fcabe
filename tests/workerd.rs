//! End-to-end tests of the release worker on bare workerd: the `/toy`
//! contract, configuration errors and overlapping sleeps.
//!
//! Run: `make test` (builds `build/` first), or after `make build`:
//! `cargo test --test workerd`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::time::{Duration, Instant};

use common::{Server, get, send};

/// Tests that are not about the sleep itself run with a short one.
const SHORT: &[(&str, &str)] = &[("TOY_SLEEP_MS", "50")];

#[test]
fn get_toy_sleeps_one_second_then_answers_json() {
    let server = Server::workerd("build", &[]);
    let reply = get(&server.url("/toy"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, r#"{"result":1}"#);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert!(
        reply.elapsed >= Duration::from_millis(1000),
        "{:?}",
        reply.elapsed
    );
    assert!(
        reply.elapsed < Duration::from_secs(5),
        "{:?}",
        reply.elapsed
    );
    let timing = reply.header("server-timing").expect("Server-Timing header");
    let dur: f64 = timing
        .split(';')
        .find_map(|part| part.strip_prefix("dur="))
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("no dur in {timing:?}"));
    assert!((1000.0..5000.0).contains(&dur), "{timing}");
}

#[test]
fn ten_concurrent_requests_overlap_on_one_event_loop() {
    let server = Server::workerd("build", &[]);
    let (replies, wall) = common::concurrent_gets(&server.url("/toy"), 10);
    for reply in &replies {
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, r#"{"result":1}"#)
        );
        assert!(reply.elapsed >= Duration::from_millis(1000));
    }
    // One by one they would take 10 s; overlapping, about one.
    assert!(
        wall < Duration::from_secs(4),
        "10 concurrent sleeps took {wall:?}"
    );
}

#[test]
fn http_contract() {
    let server = Server::workerd("build", SHORT);
    common::assert_toy_contract(&server);
}

#[test]
fn sleep_length_comes_from_the_variable() {
    let server = Server::workerd("build", &[("TOY_SLEEP_MS", "0")]);
    let reply = get(&server.url("/toy"));
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, r#"{"result":1}"#)
    );
    assert!(
        reply.elapsed < Duration::from_millis(900),
        "{:?}",
        reply.elapsed
    );
}

#[test]
fn bad_sleep_variable_is_a_clear_error_not_a_fallback() {
    for bad in ["abc", "-5", "1e99", "99999999999", "60001", ""] {
        let server = Server::workerd("build", &[("TOY_SLEEP_MS", bad)]);
        let reply = get(&server.url("/toy"));
        assert_eq!(reply.status, 500, "{bad:?}");
        let message = common::json(&reply)["error"]["message"]
            .as_str()
            .map(str::to_owned);
        let message = message.unwrap_or_default();
        assert!(
            message.contains("TOY_SLEEP_MS") && message.contains("0 to 60000"),
            "{message}"
        );
        // Routes that do not sleep are unaffected.
        assert_eq!(send("OPTIONS", &server.url("/toy"), None).status, 204);
        // And the operator gets a log line with the offending value.
        let log = server.log();
        assert!(
            log.contains(&format!("TOY_SLEEP_MS={bad:?}")),
            "{bad:?} not logged:\n{log}"
        );
    }
}

#[test]
fn a_panic_becomes_a_json_500_and_the_next_request_succeeds() {
    // build-test/ is the worker built with the test-only `test-routes`
    // feature; the release bundle in build/ has no /__panic.
    let server = Server::workerd("build-test", SHORT);
    for round in 0..3 {
        let reply = get(&server.url("/__panic"));
        assert_eq!(reply.status, 500, "round {round}: {reply:?}");
        assert_eq!(reply.header("content-type"), Some("application/json"));
        // src/entry.mjs answers with the same body as the Rust error type.
        assert_eq!(reply.body, toy_edge::error::AppError::INTERNAL.body());
        let next = get(&server.url("/toy"));
        assert_eq!(
            (next.status, next.body.as_str()),
            (200, r#"{"result":1}"#),
            "round {round}"
        );
    }
    let log = server.log();
    assert!(
        log.contains("deliberate panic"),
        "panic message not logged:\n{log}"
    );
}

#[test]
fn a_host_that_refuses_every_response_still_gets_the_json_500() {
    // tests/workers/refusing-host.mjs refuses the next N `new Response(...)`
    // of a request. N = 1: the answer is refused, Rust builds its JSON 500.
    // N = 2: that is refused too, and src/entry.mjs answers from JS with the
    // same JSON 500 (the `worker` macro's own error page is text/plain).
    let main = "tests/workers/refusing-host.mjs";
    let app = common::app_worker("build");
    let mut modules = vec![(main.to_owned(), common::root().join(main))];
    modules.extend(app.modules().iter().cloned());
    let server = Server::start(app.with_modules(modules), &[("TOY_SLEEP_MS", "0")]);
    let want = toy_edge::error::AppError::INTERNAL.body();
    for refused in [1, 2, 2] {
        let reply = get(&server.url(&format!("/toy?refuse={refused}")));
        assert_eq!(
            (
                reply.status,
                reply.header("content-type"),
                reply.body.as_str()
            ),
            (500, Some("application/json"), want.as_str()),
            "{refused} refused: {reply:?}"
        );
        // Not a panic: the instance carries on.
        let next = get(&server.url("/toy"));
        assert_eq!((next.status, next.body.as_str()), (200, r#"{"result":1}"#));
    }
    let log = server.log();
    assert!(
        log.contains("Response refused"),
        "the refusal was not logged:\n{log}"
    );
    // The `worker` crate's panic hook logs "Rust panic: …".
    assert!(!log.contains("Rust panic"), "a panic:\n{log}");
}

#[test]
fn the_release_bundle_has_no_panic_route() {
    let server = Server::workerd("build", SHORT);
    assert_eq!(get(&server.url("/__panic")).status, 404);
}

/// `n` requests (`method /toy`) sent at once from threads of their own,
/// each with the instant it was sent and the instant it was answered.
fn in_flight<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    server: &'s Server,
    methods: &[&'static str],
) -> Vec<std::thread::ScopedJoinHandle<'s, (common::Reply, Instant, Instant)>> {
    methods
        .iter()
        .map(|&method| {
            scope.spawn(move || {
                let sent = Instant::now();
                let reply = send(method, &server.url("/toy"), None);
                (reply, sent, Instant::now())
            })
        })
        .collect()
}

/// The dur of a `sleep;dur=N;desc=…` Server-Timing value.
fn timing_ms(reply: &common::Reply) -> f64 {
    reply
        .header("server-timing")
        .and_then(|t| t.strip_prefix("sleep;dur="))
        .and_then(|t| t.split(';').next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("no Server-Timing dur: {reply:?}"))
}

#[test]
fn a_panic_costs_one_request_and_the_bystanders_are_replayed_toward_their_deadline() {
    let server = Server::workerd("build-test", &[("TOY_SLEEP_MS", "1000")]);
    let want = toy_edge::error::AppError::INTERNAL.body();
    let mut methods = vec!["GET"; 190];
    methods.extend(["HEAD"; 10]);
    let (panic, panicked_at, replies) = std::thread::scope(|scope| {
        let handles = in_flight(scope, &server, &methods);
        let sleeping = common::wait_for_live(&server, Duration::from_secs(5), |live| live == 200);
        assert!(sleeping.is_some(), "the 200 requests never all slept");
        // Well into their sleep: a replay from scratch would end ~1 s late.
        std::thread::sleep(Duration::from_millis(500));
        let panicked_at = Instant::now();
        let panic = get(&server.url("/__panic"));
        let replies: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("client"))
            .collect();
        (panic, panicked_at, replies)
    });
    // The request that panicked: the JSON 500, at once.
    assert_eq!((panic.status, panic.body.as_str()), (500, want.as_str()));
    assert!(panic.elapsed < Duration::from_secs(1), "{panic:?}");
    for (i, (reply, sent, done)) in replies.iter().enumerate() {
        let head = methods[i] == "HEAD";
        assert_eq!(reply.status, 200, "request {i}: {reply:?}");
        assert_eq!(
            reply.body,
            if head { "" } else { r#"{"result":1}"# },
            "request {i}"
        );
        assert_eq!(reply.header("content-length"), Some("12"), "request {i}");
        // Toward the original deadline: not before it, nor 1.5 s after.
        let took = done.duration_since(*sent);
        assert!(
            took >= Duration::from_millis(950),
            "request {i} answered after {took:?}"
        );
        assert!(
            took < Duration::from_millis(2500),
            "request {i} answered after {took:?}"
        );
        // A replay that slept its whole second again would end >= 1 s after
        // the panic; each request had slept >= 500 ms of it before.
        let after_panic = done.saturating_duration_since(panicked_at);
        assert!(
            after_panic < Duration::from_millis(900),
            "request {i} answered {after_panic:?} after the panic: not resumed toward its deadline"
        );
        // Server-Timing reports the whole wait, not the replay's part.
        assert!(timing_ms(reply) >= 950.0, "request {i}: {reply:?}");
    }
    let log = server.log();
    assert!(
        log.contains(
            "200 requests in flight to be replayed on a fresh instance at their deadline, 1 answered with the JSON 500"
        ),
        "{log}"
    );
    assert!(
        !log.contains("Uncaught") && !log.contains("different request"),
        "{log}"
    );
    // Nothing kept: every replayed sleep is gone.
    assert_eq!(common::stats(&server).0, 0);
}

#[test]
fn a_second_panic_before_the_deadline_still_replays_each_bystander_once() {
    let server = Server::workerd("build-test", &[("TOY_SLEEP_MS", "3000")]);
    let replies = std::thread::scope(|scope| {
        let handles = in_flight(scope, &server, &["GET"; 20]);
        let sleeping = common::wait_for_live(&server, Duration::from_secs(5), |live| live == 20);
        assert!(sleeping.is_some(), "the 20 requests never all slept");
        assert_eq!(get(&server.url("/__panic")).status, 500);
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(get(&server.url("/__panic")).status, 500);
        handles
            .into_iter()
            .map(|h| h.join().expect("client"))
            .collect::<Vec<_>>()
    });
    for (i, (reply, sent, done)) in replies.iter().enumerate() {
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, r#"{"result":1}"#),
            "request {i}"
        );
        let took = done.duration_since(*sent);
        assert!(took >= Duration::from_millis(2950), "request {i}: {took:?}");
        assert!(took < Duration::from_millis(4500), "request {i}: {took:?}");
    }
    let log = server.log();
    assert!(
        log.contains(
            "20 requests in flight to be replayed on a fresh instance at their deadline, 1 answered"
        ),
        "{log}"
    );
    // The second panic found none of them in flight on its instance.
    assert!(
        log.contains(
            "0 requests in flight to be replayed on a fresh instance at their deadline, 1 answered"
        ),
        "{log}"
    );
    assert_eq!(common::stats(&server).0, 0);
}

#[test]
fn a_client_that_reset_is_not_replayed() {
    let server = Server::workerd("build-test", &[("TOY_SLEEP_MS", "3000")]);
    let replies = std::thread::scope(|scope| {
        let staying = in_flight(scope, &server, &["GET"; 5]);
        let leaving = common::open_requests(&server, 5);
        let sleeping = common::wait_for_live(&server, Duration::from_secs(5), |live| live == 10);
        assert!(sleeping.is_some(), "the 10 requests never all slept");
        common::reset(leaving);
        assert_eq!(get(&server.url("/__panic")).status, 500);
        // The reset clients' sleeps ended at once; the five still there
        // wait for their deadline and are replayed then.
        staying
            .into_iter()
            .map(|h| h.join().expect("client").0)
            .collect::<Vec<_>>()
    });
    for reply in &replies {
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, r#"{"result":1}"#)
        );
    }
    let log = server.log();
    assert!(
        log.contains(
            "5 requests in flight to be replayed on a fresh instance at their deadline, 1 answered"
        ),
        "{log}"
    );
    assert_eq!(common::stats(&server).0, 0);
}
