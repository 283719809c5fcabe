//! The other side of the contrast, natively: a thread-per-request server
//! whose handler reaches for an event loop it does not own fails, like the
//! Flask seed ("There is no current event loop in thread ..."). Beside it, the
//! two honest fixes of the thread-owned world.
//!
//! The wasm side (no runtime, no thread, sleeps still overlap) is asserted in
//! every JS host by tests/suite.
//!
//! Run: `cargo test --test contrast`.
#![cfg(not(target_arch = "wasm32"))]

use std::time::{Duration, Instant};

const SLEEP: Duration = Duration::from_millis(100);

/// The coroutine of the seed: sleep, then return 1.
async fn toy() -> u32 {
    tokio::time::sleep(SLEEP).await;
    1
}

/// What one panicking thread said.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn request_thread_without_a_loop_fails_like_the_flask_seed() {
    // A request thread, as Flask's threaded server spawns one per request.
    let request_thread = std::thread::spawn(|| {
        // asyncio.get_event_loop() in the seed; the loop's handle here.
        let lookup = tokio::runtime::Handle::try_current().map(|_| ());
        // And the sleep itself, created outside any runtime, panics.
        let sleep = std::panic::catch_unwind(|| drop(tokio::time::sleep(SLEEP)));
        (lookup, sleep)
    });
    let (lookup, sleep) = request_thread.join().expect("request thread");
    let error = lookup
        .expect_err("a fresh thread has no runtime")
        .to_string();
    assert!(error.contains("no reactor running"), "{error}");
    let message = panic_message(sleep.expect_err("sleep outside a runtime"));
    assert!(
        message.contains("must be called from the context of a Tokio 1.x runtime"),
        "{message}"
    );
}

/// Serves 20 requests, one thread each (thread-per-request, like the
/// seed's server), with `handler`; returns what they answered and how long
/// it took.
fn thread_per_request(handler: impl Fn() -> u32 + Sync) -> (Vec<u32>, Duration) {
    let started = Instant::now();
    let results = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..20).map(|_| scope.spawn(&handler)).collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("thread"))
            .collect()
    });
    (results, started.elapsed())
}

#[test]
fn fix_one_a_runtime_owned_by_the_server_and_handed_to_request_threads() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .expect("runtime");
    let handle = runtime.handle().clone();
    let (results, elapsed) = thread_per_request(|| handle.block_on(toy()));
    assert_eq!(results, vec![1; 20]);
    // The sleeps overlap on the server's loop: ~0.1 s, not 2 s.
    assert!(elapsed < SLEEP * 10, "{elapsed:?}");
}

#[test]
fn fix_two_a_runtime_per_call_works_but_builds_a_loop_each_time() {
    let call = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
            .block_on(toy())
    };
    let (results, elapsed) = thread_per_request(call);
    assert_eq!(results, vec![1; 20]);
    // Correct, and still overlapping because each call has its own thread;
    // the cost is a loop (and its timer driver) built and torn down per
    // request, which `make bench` prices against fix one.
    assert!(elapsed < SLEEP * 10, "{elapsed:?}");
}
