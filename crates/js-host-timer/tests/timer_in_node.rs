//! The crate's suite (tests/suite) in Node, through wasm-bindgen-test.
//!
//! Run: `cargo test -p js-host-timer --target wasm32-unknown-unknown --test timer_in_node`
//! with `wasm-bindgen-test-runner` as the target's runner (`make test` sets it).
#![cfg(target_arch = "wasm32")]

mod suite;
