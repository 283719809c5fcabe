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
    let server = Server::python("seed.py", &[]);
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
    let server = Server::python(script, &[]);
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

// The seed's closing advice, "use a dedicated WSGI server such as gunicorn
// and uWSGI in production", taken: the seed unchanged under each. Either its
// view runs on the main thread of one worker process, where asyncio finds a
// loop, and requests wait their turn; or it runs in threads, and fails as
// under Flask's own server.

/// 10 at once all answer `{"result": 1}`, one after another: ~10 s where
/// overlapping sleeps would take ~1 s.
fn answers_one_request_at_a_time(server: &Server) {
    let (replies, wall) = common::concurrent_gets(&server.url("/toy"), 10);
    for reply in &replies {
        assert_eq!(reply.status, 200, "{reply:?}\n{}", server.log());
        assert_eq!(common::json(reply), serde_json::json!({ "result": 1 }));
    }
    assert!(
        wall > Duration::from_secs(5),
        "10 requests overlapped ({wall:?}): the sleeps did not wait their turn"
    );
}

/// Waits until the log holds `n` lines with `wanted` (tracebacks are
/// written after the 500 is sent), and returns those lines.
fn error_lines(server: &Server, wanted: &str, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let lines: Vec<String> = server
            .log()
            .lines()
            .filter(|line| line.starts_with(wanted))
            .map(str::to_owned)
            .collect();
        if lines.len() >= n || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

const NO_LOOP: &str = "RuntimeError: There is no current event loop in thread '";

#[test]
fn gunicorn_sync_worker_answers_but_one_request_at_a_time() {
    answers_one_request_at_a_time(&Server::seed_under("gunicorn"));
}

#[test]
fn gunicorn_with_threads_fails_in_every_request_thread() {
    let server = Server::seed_under("gunicorn-threads");
    let (replies, _) = common::concurrent_gets(&server.url("/toy"), 10);
    for reply in &replies {
        assert_eq!(reply.status, 500, "{reply:?}");
    }
    let lines = error_lines(&server, NO_LOOP, 10);
    assert_eq!(lines.len(), 10, "{}", server.log());
    assert!(
        lines.iter().all(|l| l.contains("'ThreadPoolExecutor-")),
        "{lines:#?}"
    );
}

#[test]
fn uwsgi_without_threads_answers_but_one_request_at_a_time() {
    answers_one_request_at_a_time(&Server::seed_under("uwsgi"));
}

#[test]
fn uwsgi_with_threads_answers_only_on_its_main_thread() {
    // uWSGI runs its first core on the worker process's main thread, which
    // has a loop; cores 1 to 7 are threads it starts, which have none. Core 0
    // sleeps its second while the others fail the other nine at once.
    let server = Server::seed_under("uwsgi-threads");
    let (replies, wall) = common::concurrent_gets(&server.url("/toy"), 10);
    let ok: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(ok.len(), 1, "{replies:#?}");
    assert!(ok[0].elapsed >= Duration::from_secs(1), "{:?}", ok[0]);
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 500));
    let lines = error_lines(&server, NO_LOOP, 9);
    assert_eq!(lines.len(), 9, "{}", server.log());
    assert!(
        lines.iter().all(|l| l.contains("'uWSGIWorker1Core")),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("Core0")), "{lines:#?}");
    assert!(wall < Duration::from_secs(5), "{wall:?}");
}
