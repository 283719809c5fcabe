//! Client resets on workerd: a client that goes away mid-sleep stops its
//! sleep at once and leaves nothing behind in wasm memory. Runs the test
//! worker (`build-test/`, whose `/__stats` reports live sleeps and wasm
//! memory) with a 10 s sleep, so only the abort can end a sleep in time.
//!
//! Run: `make test`, or after `make test` built `build-test/`:
//! `cargo test --test aborts`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::time::Duration;

use common::Server;

/// A wasm page: memory grows in these steps, and never shrinks.
const PAGE: u64 = 64 * 1024;

#[test]
fn client_resets_end_every_sleep_at_once_and_free_their_memory() {
    let server = Server::workerd("build-test", &[("TOY_SLEEP_MS", "10000")]);
    // 10 batches of 100: without the abort handling every batch stays
    // asleep for 10 s; with it leaking, memory grows ~110 KiB per batch.
    let (baseline, batches) = common::abort_batches(&server, 10, 100, Duration::from_millis(500));
    for (i, batch) in batches.iter().enumerate() {
        println!("batch {i}: {batch:?}");
    }
    for (i, batch) in batches.iter().enumerate() {
        assert_eq!(batch.live_before, 100, "batch {i}: {batch:?}");
        assert!(
            batch.settled_in.is_some(),
            "batch {i}: sleeps still live 500 ms after the reset: {batch:?}"
        );
    }
    let last = batches.last().map_or(0, |b| b.memory_after);
    println!(
        "wasm memory: {baseline} bytes with the first batch in flight, {last} after 1000 aborts"
    );
    // One page of slack for the allocator; the old leak was 17 pages here.
    assert!(
        last <= baseline + PAGE,
        "wasm memory grew from {baseline} to {last} bytes over 1000 aborts"
    );
    // And the server still serves.
    assert_eq!(common::stats(&server).0, 0);
}
