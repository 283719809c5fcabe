//! End-to-end tests of the release worker on bare workerd: the `/toy`
//! contract, configuration errors and overlapping sleeps.
//!
//! Run: `make test` (builds `build/` first), or after `make build`:
//! `cargo test --test workerd`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::time::Duration;

use common::{Server, agent, get, send};

/// Tests that are not about the sleep itself run with a short one.
const SHORT: &[(&str, &str)] = &[("TOY_SLEEP_MS", "50")];

#[test]
fn get_toy_sleeps_one_second_then_answers_json() {
    let server = Server::workerd("build", &[]);
    let reply = get(&agent(), &server.url("/toy"));
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
    let started = std::time::Instant::now();
    let replies: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| scope.spawn(|| get(&agent(), &server.url("/toy"))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("client thread"))
            .collect()
    });
    let wall = started.elapsed();
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
    let agent = agent();

    let get_reply = get(&agent, &server.url("/toy"));
    assert_eq!(get_reply.status, 200);

    // HEAD: GET's status and headers, no body.
    let head = send(&agent, "HEAD", &server.url("/toy"), None);
    assert_eq!(head.status, 200);
    assert_eq!(head.body, "");
    for name in ["content-type", "cache-control", "content-length"] {
        assert_eq!(head.header(name), get_reply.header(name), "{name}");
    }
    assert!(head.header("server-timing").is_some());

    let options = send(&agent, "OPTIONS", &server.url("/toy"), None);
    assert_eq!(options.status, 204);
    assert_eq!(options.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(options.body, "");

    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let reply = send(&agent, method, &server.url("/toy"), Some("{}"));
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(
            reply.header("allow"),
            Some("GET, HEAD, OPTIONS"),
            "{method}"
        );
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.json()["error"]["status"], 405, "{method}");
    }

    for path in [
        "/",
        "/toy/",
        "/TOY",
        "/toy/extra",
        "//toy",
        "/toy%2F",
        "/%7E%ZZ",
        "/toy.json",
    ] {
        let reply = get(&agent, &server.url(path));
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{path}"
        );
        let error = reply.json();
        assert_eq!(error["error"]["status"], 404, "{path}");
        assert!(error["error"]["message"].is_string(), "{path}");
    }

    // A query string does not change the answer.
    let query = get(&agent, &server.url("/toy?x=1&result=2"));
    assert_eq!(
        (query.status, query.body.as_str()),
        (200, r#"{"result":1}"#)
    );
}

#[test]
fn sleep_length_comes_from_the_variable() {
    let server = Server::workerd("build", &[("TOY_SLEEP_MS", "0")]);
    let reply = get(&agent(), &server.url("/toy"));
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
        let agent = agent();
        let reply = get(&agent, &server.url("/toy"));
        assert_eq!(reply.status, 500, "{bad:?}");
        let message = reply.json()["error"]["message"].as_str().map(str::to_owned);
        let message = message.unwrap_or_default();
        assert!(
            message.contains("TOY_SLEEP_MS") && message.contains("0 to 60000"),
            "{message}"
        );
        // Routes that do not sleep are unaffected.
        assert_eq!(
            send(&agent, "OPTIONS", &server.url("/toy"), None).status,
            204
        );
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
    let agent = agent();
    for round in 0..3 {
        let reply = get(&agent, &server.url("/__panic"));
        assert_eq!(reply.status, 500, "round {round}: {reply:?}");
        assert_eq!(reply.header("content-type"), Some("application/json"));
        // src/entry.mjs answers with the same body as the Rust error type.
        assert_eq!(reply.body, toy_edge::error::AppError::INTERNAL.body());
        let next = get(&agent, &server.url("/toy"));
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
fn the_release_bundle_has_no_panic_route() {
    let server = Server::workerd("build", SHORT);
    assert_eq!(get(&agent(), &server.url("/__panic")).status, 404);
}
