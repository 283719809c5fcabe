//! The shared host suite (tests/suite) in headless Chromium, through
//! wasm-bindgen-test and chromedriver.
//!
//! Run: `make test`, or `scripts/test.sh browser`. This binary links the
//! library without the `entry` feature: an exported `fetch` would shadow the
//! browser's own and the test page would never run.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod suite;
