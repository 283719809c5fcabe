//! The crate's suite (tests/suite) in headless Chromium, through
//! wasm-bindgen-test and chromedriver (`CHROMEDRIVER`).
//!
//! Run: `cargo test -p js-host-timer --target wasm32-unknown-unknown --test timer_in_browser`.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod suite;
