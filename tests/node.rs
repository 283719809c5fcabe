//! The shared host suite (tests/suite) in Node, through wasm-bindgen-test.
//!
//! Run: `make test`, or `scripts/test.sh node`.
#![cfg(target_arch = "wasm32")]

mod suite;
