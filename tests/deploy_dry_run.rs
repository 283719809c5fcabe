//! Test what you ship: `wrangler deploy --dry-run` bundles the worker
//! offline, the bundle stays far below the platform's limit (3 MiB gzip on
//! the free plan), and that exact bundle, served on bare workerd, keeps the
//! `/toy` contract. Prints the sizes.
//!
//! Run: `make test`, or `cargo test --test deploy_dry_run -- --nocapture`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{Server, app_worker};

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

    let server = workerd_bundle(dry.dist.path(), &[("TOY_SLEEP_MS", "50")]);
    common::assert_toy_contract(&server);
    // The test-only routes never ship.
    let panic = common::get(&server.url("/__panic"));
    assert_eq!(panic.status, 404);
}

/// Bare workerd serving exactly what `wrangler deploy --dry-run --outdir
/// DIR` wrote: the bundle that would be uploaded, module names as in it,
/// the main module (its one JavaScript file) first.
fn workerd_bundle(dir: &Path, vars: &[(&str, &str)]) -> Server {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read the dry run's output")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("js" | "wasm")
            )
        })
        .collect();
    files.sort_by_key(|path| path.extension().is_some_and(|e| e == "wasm"));
    let scripts = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "js"));
    assert_eq!(
        scripts.count(),
        1,
        "want one .js module in {}: {files:?}",
        dir.display()
    );
    let modules = files.iter().map(|path| {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        (name.to_owned(), path.clone())
    });
    Server::start(app_worker("build").with_modules(modules), vars)
}
