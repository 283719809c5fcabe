//! Test what you ship: `wrangler deploy --dry-run` bundles the worker
//! offline, the bundle stays far below the platform's limit (3 MiB gzip on
//! the free plan), and that exact bundle, served on bare workerd, keeps the
//! `/toy` contract. Prints the sizes.
//!
//! Run: `make test`, or `cargo test --test deploy_dry_run -- --nocapture`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::Server;

#[test]
fn the_uploaded_bundle_is_small_and_keeps_the_contract() {
    let dry = common::dry_run();
    println!(
        "wrangler deploy --dry-run: Total Upload {} KiB / gzip {} KiB",
        dry.total_kib, dry.gzip_kib
    );
    assert!(
        dry.gzip_kib > 10.0,
        "suspiciously small bundle: {} KiB",
        dry.gzip_kib
    );
    // The limit is 3 MiB gzip (free plan); stay two orders of magnitude below.
    assert!(
        dry.gzip_kib < 100.0,
        "bundle grew to {} KiB gzip",
        dry.gzip_kib
    );

    let server = Server::workerd_bundle(&dry.dist(), &[("TOY_SLEEP_MS", "50")]);
    common::assert_toy_contract(&server);
    // The test-only routes never ship.
    let panic = common::get(&server.url("/__panic"));
    assert_eq!(panic.status, 404);
}
