//! The soak in a few seconds (a wave of 300, 200 client aborts, 6 s at
//! concurrency 100), so regressions in reliability fail `make test`. The full
//! run is `make soak`.
#![cfg(not(target_arch = "wasm32"))]

mod common;
#[path = "../benches/support/mod.rs"]
mod support;

#[test]
fn short_soak_holds_every_bound() {
    let report = support::soak::run(&support::soak::Params::short());
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
}
