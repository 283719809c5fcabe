//! The one build on Deno (`make serve RUNTIME=deno`): the suite every runtime
//! passes (tests/runtimes), and stopping on SIGTERM or Ctrl-C.
//!
//! Run: `make test`, or after it built build/ and build-test/:
//! `cargo test --test deno`.
#![cfg(not(target_arch = "wasm32"))]

mod common;
#[macro_use]
mod runtimes;

runtime_suite!(common::Runtime::Deno);

#[test]
fn stops_cleanly_on_sigterm() {
    runtimes::stops_cleanly_on(common::Runtime::Deno, libc::SIGTERM);
}

#[test]
fn stops_cleanly_on_ctrl_c() {
    runtimes::stops_cleanly_on(common::Runtime::Deno, libc::SIGINT);
}
