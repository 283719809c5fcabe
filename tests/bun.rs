//! The one build on Bun (`make serve RUNTIME=bun`): the suite every runtime
//! passes (tests/runtimes), a sleep past Bun's idle timeout, and stopping on
//! SIGTERM or Ctrl-C.
//!
//! Run: `make test`, or after it built build/ and build-test/:
//! `cargo test --test bun`.
#![cfg(not(target_arch = "wasm32"))]

mod common;
#[macro_use]
mod runtimes;

runtime_suite!(common::Runtime::Bun);

#[test]
fn a_sleep_longer_than_bun_s_idle_timeout_is_answered() {
    runtimes::a_sleep_longer_than_an_idle_timeout(common::Runtime::Bun);
}

#[test]
fn stops_cleanly_on_sigterm() {
    runtimes::stops_cleanly_on(common::Runtime::Bun, libc::SIGTERM);
}

#[test]
fn stops_cleanly_on_ctrl_c() {
    runtimes::stops_cleanly_on(common::Runtime::Bun, libc::SIGINT);
}
