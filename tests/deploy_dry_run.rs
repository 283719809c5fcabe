//! Deployment readiness: `wrangler deploy --dry-run` bundles the worker
//! offline, and the bundle stays far below the platform's limit (3 MiB
//! gzip on the free plan). Prints the sizes.
//!
//! Run: `make test`, or `cargo test --test deploy_dry_run -- --nocapture`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

#[test]
fn dry_run_bundles_far_below_the_size_limit() {
    let (total, gzip) = common::dry_run_sizes();
    println!("wrangler deploy --dry-run: Total Upload {total} KiB / gzip {gzip} KiB");
    assert!(gzip > 10.0, "suspiciously small bundle: {gzip} KiB");
    // The limit is 3 MiB gzip (free plan); stay two orders of magnitude below.
    assert!(gzip < 100.0, "bundle grew to {gzip} KiB gzip");
}
