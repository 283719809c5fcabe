//! The suite every runtime that serves the one build must pass (workerd,
//! Deno, Bun, Node): the `/toy` contract, configuration errors, overlapping
//! sleeps, client resets and a clean close, panics and traps with requests
//! in flight, the hostile corpus, and stopping. Each runtime's test file
//! (tests/workerd.rs, deno.rs, bun.rs, node_http.rs) instantiates it with
//! [`runtime_suite!`]; where runtimes differ, the difference is pinned here,
//! per runtime, with why.
#![allow(dead_code)] // each test binary uses its own part of the harness

pub mod hostile;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use crate::common::{self, Reply, Runtime, Server, get, send};
use toy_edge::error::AppError;

/// Tests that are not about the sleep itself run with a short one.
pub const SHORT: &[(&str, &str)] = &[("TOY_SLEEP_MS", "50")];
const RESULT: &str = r#"{"result":1}"#;

/// One `#[test]` per behaviour, for the runtime given.
#[macro_export]
macro_rules! runtime_suite {
    ($runtime:expr) => {
        #[test]
        fn get_toy_sleeps_one_second_then_answers_json() {
            runtimes::sleeps_one_second_then_answers_json($runtime);
        }
        #[test]
        fn http_contract() {
            common::assert_toy_contract(&common::Server::on($runtime, "build", runtimes::SHORT));
        }
        #[test]
        fn sleep_length_comes_from_the_variable() {
            runtimes::sleep_length_comes_from_the_variable($runtime);
        }
        #[test]
        fn bad_sleep_variable_is_a_clear_error_not_a_fallback() {
            runtimes::bad_sleep_variable_is_a_clear_error($runtime);
        }
        #[test]
        fn a_thousand_overlapping_sleeps_take_about_one() {
            runtimes::a_thousand_overlapping_sleeps($runtime);
        }
        #[test]
        fn client_resets_end_every_sleep_at_once_and_free_their_memory() {
            runtimes::client_resets_end_sleeps_and_free_memory($runtime);
        }
        #[test]
        fn a_client_that_half_closes() {
            runtimes::a_client_that_half_closes($runtime);
        }
        #[test]
        fn a_panic_becomes_a_json_500_and_the_next_request_succeeds() {
            runtimes::a_panic_becomes_a_json_500($runtime);
        }
        #[test]
        fn a_panic_costs_its_own_request_only_and_the_instance_goes_on() {
            runtimes::a_panic_costs_one_request($runtime, "/__panic");
        }
        #[test]
        fn a_panic_after_a_sleep_costs_its_own_request_only_too() {
            runtimes::a_panic_costs_one_request($runtime, "/__panic_later");
        }
        #[test]
        fn a_trap_answers_every_request_in_flight_503_and_a_fresh_instance_serves_the_next() {
            runtimes::a_trap_answers_every_request_in_flight($runtime, "/__trap");
        }
        #[test]
        fn a_trap_after_a_sleep_is_answered_the_same_way() {
            runtimes::a_trap_answers_every_request_in_flight($runtime, "/__trap_later");
        }
        #[test]
        fn hostile_requests_get_exact_statuses_and_the_server_survives() {
            runtimes::hostile::requests_get_exact_statuses($runtime);
        }
        #[test]
        fn the_release_build_has_no_test_routes() {
            let server = common::Server::on($runtime, "build", runtimes::SHORT);
            for path in ["/__panic", "/__trap", "/__stats"] {
                assert_eq!(common::get(&server.url(path)).status, 404, "{path}");
            }
        }
    };
}

pub fn sleeps_one_second_then_answers_json(runtime: Runtime) {
    let server = Server::on(runtime, "build", &[]);
    let reply = get(&server.url("/toy"));
    assert_eq!((reply.status, reply.body.as_str()), (200, RESULT));
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
    assert!((1000.0..5000.0).contains(&timing_ms(&reply)), "{reply:?}");
}

pub fn sleep_length_comes_from_the_variable(runtime: Runtime) {
    let server = Server::on(runtime, "build", &[("TOY_SLEEP_MS", "0")]);
    let reply = get(&server.url("/toy"));
    assert_eq!((reply.status, reply.body.as_str()), (200, RESULT));
    assert!(
        reply.elapsed < Duration::from_millis(900),
        "{:?}",
        reply.elapsed
    );
}

pub fn bad_sleep_variable_is_a_clear_error(runtime: Runtime) {
    for bad in ["abc", "-5", "1e99", "99999999999", "60001", ""] {
        let server = Server::on(runtime, "build", &[("TOY_SLEEP_MS", bad)]);
        let reply = get(&server.url("/toy"));
        assert_eq!(reply.status, 500, "{bad:?}");
        let message = common::json(&reply)["error"]["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_default();
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

/// A sleep may last up to 60 s; a connection that is silent while its
/// request sleeps must not be cut. Bun closes connections idle for 10 s by
/// default (hosts/bun.mjs turns that off); workerd, Deno and Node have no
/// such timeout for a request being handled, and the 13 s this takes are
/// spent on Bun only (tests/bun.rs).
pub fn a_sleep_longer_than_an_idle_timeout(runtime: Runtime) {
    let server = Server::on(runtime, "build", &[("TOY_SLEEP_MS", "13000")]);
    let reply = get(&server.url("/toy"));
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, RESULT),
        "{reply:?}"
    );
    assert!(reply.elapsed >= Duration::from_secs(13), "{reply:?}");
}

pub fn a_thousand_overlapping_sleeps(runtime: Runtime) {
    let server = Server::on(runtime, "build", &[]);
    let (replies, wall) = common::concurrent_gets(&server.url("/toy"), 1000);
    for reply in &replies {
        assert_eq!((reply.status, reply.body.as_str()), (200, RESULT));
        assert!(reply.elapsed >= Duration::from_millis(1000), "{reply:?}");
    }
    // One by one they would take 1000 s; overlapping, about one.
    assert!(
        wall < Duration::from_secs(10),
        "1000 overlapping sleeps took {wall:?}"
    );
}

/// A wasm page: memory grows in these steps, and never shrinks.
const PAGE: u64 = 64 * 1024;

pub fn client_resets_end_sleeps_and_free_memory(runtime: Runtime) {
    // A 10 s sleep: only the abort can end one in time.
    let server = Server::on(runtime, "build-test", &[("TOY_SLEEP_MS", "10000")]);
    // 10 batches of 100: without the abort handling every batch stays
    // asleep for 10 s; a leak of what an aborted request held grows memory
    // batch after batch.
    let (baseline, batches) = common::abort_batches(&server, 10, 100, Duration::from_millis(500));
    for (i, batch) in batches.iter().enumerate() {
        assert_eq!(batch.live_before, 100, "batch {i}: {batch:?}");
        assert!(
            batch.settled_in.is_some(),
            "batch {i}: sleeps still live 500 ms after the reset: {batch:?}"
        );
    }
    let last = batches.last().map_or(0, |b| b.memory_after);
    // One page (64 KiB) of slack for the allocator over 1000 aborts.
    assert!(
        last <= baseline + PAGE,
        "wasm memory grew from {baseline} to {last} bytes over 1000 aborts"
    );
    assert_eq!(common::stats(&server).0, 0);
}

/// What a client that sends `GET /toy` and then closes its sending side
/// (FIN, `shutdown(SHUT_WR)`) gets. HTTP/1.1 allows a half-closed client
/// (RFC 9112, 9.6), and workerd answers it in full; Deno, Bun and Node take
/// the FIN for a client gone: no answer, and request.signal aborts, so the
/// sleep ends at once (a 3 s sleep, ended well before it is due).
pub fn a_client_that_half_closes(runtime: Runtime) {
    let sleep = Duration::from_millis(3000);
    let server = Server::on(runtime, "build-test", &[("TOY_SLEEP_MS", "3000")]);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    stream
        .write_all(b"GET /toy HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .expect("send");
    stream.shutdown(Shutdown::Write).expect("half-close");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let started = Instant::now();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    let (text, took) = (String::from_utf8_lossy(&reply), started.elapsed());
    if runtime == Runtime::Workerd {
        assert!(text.starts_with("HTTP/1.1 200"), "{text:?}");
        assert!(text.ends_with(RESULT), "{text:?}");
        assert!(took >= sleep - Duration::from_millis(50), "{took:?}");
    } else {
        assert_eq!(
            text, "",
            "{runtime:?} answered a half-closed client after {took:?}"
        );
        assert!(took < sleep / 2, "{runtime:?} closed only after {took:?}");
    }
    // Nothing is left sleeping either way.
    let settled = common::wait_for_live(&server, Duration::from_secs(1), |live| live == 0);
    assert!(settled.is_some(), "a sleep outlived its half-closed client");
}

pub fn a_panic_becomes_a_json_500(runtime: Runtime) {
    // build-test/ is the build with the test-only `test-routes` feature;
    // the release build in build/ has no /__panic.
    let server = Server::on(runtime, "build-test", SHORT);
    for round in 0..3 {
        let reply = get(&server.url("/__panic"));
        assert_eq!(reply.status, 500, "round {round}: {reply:?}");
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.body, AppError::INTERNAL.body());
        let next = get(&server.url("/toy"));
        assert_eq!(
            (next.status, next.body.as_str()),
            (200, RESULT),
            "round {round}"
        );
    }
    let log = server.log();
    assert!(
        log.contains("deliberate panic"),
        "panic message not logged:\n{log}"
    );
}

/// `n` requests (`method /toy`) sent at once from threads of their own,
/// each with the instant it was sent and the instant it was answered.
fn in_flight<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    server: &'s Server,
    methods: &[&'static str],
) -> Vec<std::thread::ScopedJoinHandle<'s, (Reply, Instant, Instant)>> {
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
fn timing_ms(reply: &Reply) -> f64 {
    reply
        .header("server-timing")
        .and_then(|t| t.strip_prefix("sleep;dur="))
        .and_then(|t| t.split(';').next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("no Server-Timing dur: {reply:?}"))
}

/// The log has no sign of a request answered from the wrong context or an
/// exception nobody caught.
fn assert_clean_log(log: &str) {
    assert!(
        !log.contains("Uncaught")
            && !log.contains("different request")
            && !log.contains("Unhandled"),
        "{log}"
    );
}

/// 190 GET and 10 HEAD asleep for a second, then a request that panics
/// (`/__panic` in its first poll, `/__panic_later` in a poll woken by its
/// own timer). The panic unwinds inside the wasm: its request gets the JSON
/// 500 at once, the others go on untouched and are answered at their own
/// deadline, and the instance is the same one throughout.
pub fn a_panic_costs_one_request(runtime: Runtime, route: &str) {
    let server = Server::on(runtime, "build-test", &[("TOY_SLEEP_MS", "1000")]);
    let want = AppError::INTERNAL.body();
    let mut methods = vec!["GET"; 190];
    methods.extend(["HEAD"; 10]);
    let (panic, seen_before, replies) = std::thread::scope(|scope| {
        let handles = in_flight(scope, &server, &methods);
        let sleeping = common::wait_for_live(&server, Duration::from_secs(5), |live| live == 200);
        assert!(sleeping.is_some(), "the 200 requests never all slept");
        let seen_before = requests_seen(&server);
        let panic = get(&server.url(route));
        let replies: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("client"))
            .collect();
        (panic, seen_before, replies)
    });
    assert_eq!((panic.status, panic.body.as_str()), (500, want.as_str()));
    assert_eq!(panic.header("content-type"), Some("application/json"));
    assert!(panic.elapsed < Duration::from_secs(1), "{panic:?}");
    for (i, (reply, sent, done)) in replies.iter().enumerate() {
        let head = methods[i] == "HEAD";
        assert_eq!(reply.status, 200, "request {i}: {reply:?}");
        assert_eq!(reply.body, if head { "" } else { RESULT }, "request {i}");
        assert_eq!(reply.header("content-length"), Some("12"), "request {i}");
        // At their own deadline, and slept once: a request handled again
        // after the panic would report a shorter sleep or end later.
        let took = done.duration_since(*sent);
        assert!(
            (Duration::from_millis(950)..Duration::from_millis(2500)).contains(&took),
            "request {i} answered after {took:?}"
        );
        assert!(timing_ms(reply) >= 995.0, "request {i}: {reply:?}");
    }
    // The same instance: it has counted every request since before the
    // panic (a fresh one would start again at 1).
    let seen_after = requests_seen(&server);
    assert!(
        seen_after >= seen_before + 2,
        "requests seen {seen_before} before the panic, {seen_after} after: the instance was replaced"
    );
    let log = server.log();
    assert!(log.contains("deliberate panic"), "{log}");
    assert!(!log.contains("trapped"), "{log}");
    assert_clean_log(&log);
    assert_eq!(common::stats(&server).0, 0);
}

/// 50 GET asleep for three seconds, then a request that traps the instance
/// (`/__trap` in its first poll, `/__trap_later` after a 100 ms sleep).
/// Nothing can resume them: every one, the culprit too, gets the JSON 503
/// with `Retry-After` at once, long before its deadline; the next request is
/// served by a fresh instance; and when the dead instance's timers come due
/// later, nothing hangs and the process lives on.
pub fn a_trap_answers_every_request_in_flight(runtime: Runtime, route: &str) {
    let sleep = Duration::from_millis(3000);
    let server = Server::on(runtime, "build-test", &[("TOY_SLEEP_MS", "3000")]);
    let want = AppError::INSTANCE_FAILED.body();
    let (trap, trapped_at, replies) = std::thread::scope(|scope| {
        let handles = in_flight(scope, &server, &["GET"; 50]);
        let sleeping = common::wait_for_live(&server, Duration::from_secs(5), |live| live == 50);
        assert!(sleeping.is_some(), "the 50 requests never all slept");
        let trapped_at = Instant::now();
        let trap = get(&server.url(route));
        let replies: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("client"))
            .collect();
        (trap, trapped_at, replies)
    });
    for (i, reply) in std::iter::once(&trap)
        .chain(replies.iter().map(|(reply, _, _)| reply))
        .enumerate()
    {
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (503, want.as_str()),
            "reply {i}: {reply:?}"
        );
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.header("retry-after"), Some("1"), "reply {i}");
    }
    for (i, (_, _, done)) in replies.iter().enumerate() {
        let after = done.saturating_duration_since(trapped_at);
        assert!(
            after < Duration::from_secs(1),
            "request {i} answered {after:?} after the trap"
        );
    }
    // A fresh instance: it has seen only this request.
    assert_eq!(requests_seen(&server), 1);
    // The dead instance's timers come due; the server is still there, and
    // serves in full.
    std::thread::sleep(sleep);
    let next = get(&server.url("/toy"));
    assert_eq!((next.status, next.body.as_str()), (200, RESULT), "{next:?}");
    let log = server.log();
    assert!(
        log.contains("toy-edge: the wasm instance trapped; 51 requests in flight answered 503"),
        "{log}"
    );
}

/// Ctrl-C (SIGINT) or SIGTERM (`make serve`): a request in flight is still
/// answered, then the process exits 0. Bare workerd is stopped by its
/// harness and not tested here.
pub fn stops_cleanly_on(runtime: Runtime, signal: libc::c_int) {
    let mut server = Server::on(runtime, "build", &[("TOY_SLEEP_MS", "1000")]);
    let url = server.url("/toy");
    let client = std::thread::spawn(move || get(&url));
    // The request is sleeping before the signal comes.
    std::thread::sleep(Duration::from_millis(400));
    let code = stop_with(&mut server, signal, Duration::from_secs(5));
    let reply = client.join().expect("client");
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, RESULT),
        "{reply:?}"
    );
    assert_eq!(
        code,
        Some(0),
        "exit after signal {signal}:\n{}",
        server.log()
    );
    // And it no longer listens.
    assert!(TcpStream::connect(("127.0.0.1", server.port)).is_err());
}

/// How many requests the test worker's current wasm instance has seen, this
/// one included: it starts again at 1 on a fresh instance.
pub fn requests_seen(server: &Server) -> u64 {
    common::json(&common::get(&server.url("/__stats")))["requests"]
        .as_u64()
        .unwrap_or_else(|| panic!("no requests in /__stats"))
}

/// Sends `signal` (SIGTERM, SIGINT: Ctrl-C) to a server process of this
/// project's and waits up to `within` for it to exit: its exit code (`None`:
/// still running, or killed by a signal).
fn stop_with(server: &mut Server, signal: libc::c_int, within: Duration) -> Option<i32> {
    let pid = libc::pid_t::try_from(server.pid()).ok()?;
    // SAFETY: kill(2) takes plain integers.
    unsafe { libc::kill(pid, signal) };
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = server.exited() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}
