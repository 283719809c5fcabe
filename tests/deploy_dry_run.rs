//! Deployment readiness: `wrangler deploy --dry-run` bundles the worker
//! offline, and the bundle stays far below the platform's limit (3 MiB
//! gzip on the free plan). Prints the sizes.
//!
//! Run: `make test`, or `cargo test --test deploy_dry_run -- --nocapture`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::process::Command;

/// Total Upload and gzip sizes in KiB, parsed from wrangler's output line
/// `Total Upload: 233.36 KiB / gzip: 81.85 KiB`.
fn sizes(output: &str) -> Option<(f64, f64)> {
    let line = output.lines().find(|l| l.contains("Total Upload:"))?;
    let mut numbers = line
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse::<f64>().ok());
    Some((numbers.next()?, numbers.next()?))
}

#[test]
fn dry_run_bundles_far_below_the_size_limit() {
    let root = common::root();
    let out = root.join("target/e2e/dist");
    let output = Command::new("bash")
        .current_dir(&root)
        .arg("-c")
        .arg(format!(
            "source scripts/env.sh && wrangler deploy --dry-run --outdir {}",
            out.display()
        ))
        .output()
        .expect("run wrangler");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "wrangler deploy --dry-run failed:\n{text}"
    );
    let (total, gzip) = sizes(&text).unwrap_or_else(|| panic!("no size line in:\n{text}"));
    println!("wrangler deploy --dry-run: Total Upload {total} KiB / gzip {gzip} KiB");
    assert!(gzip > 10.0, "suspiciously small bundle: {gzip} KiB");
    // The limit is 3 MiB gzip (free plan); stay two orders of magnitude below.
    assert!(gzip < 300.0, "bundle grew to {gzip} KiB gzip");
}
