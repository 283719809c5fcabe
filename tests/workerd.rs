//! End-to-end tests of the build on bare workerd (as tests and benches run
//! it, from wrangler.toml): the suite every runtime passes (tests/runtimes),
//! and what only workerd's entry does.
//!
//! Run: `make test` (builds `build/` and `build-test/` first), or after
//! that: `cargo test --test workerd`.
#![cfg(not(target_arch = "wasm32"))]

mod common;
#[macro_use]
mod runtimes;

use common::{Server, get};

runtime_suite!(common::Runtime::Workerd);

#[test]
fn a_host_that_refuses_every_response_still_gets_the_json_500() {
    // tests/workers/refusing-host.mjs refuses the next N `new Response(...)`
    // of a request. N = 1: the answer is refused, Rust builds its JSON 500.
    // N = 2: that is refused too, and hosts/core.mjs answers from JS with the
    // same JSON 500 (the `worker` macro's own error page is text/plain).
    let main = "tests/workers/refusing-host.mjs";
    let app = common::app_worker("build");
    let mut modules = vec![(main.to_owned(), common::root().join(main))];
    modules.extend(app.modules().iter().cloned());
    let server = Server::start(app.with_modules(modules), &[("TOY_SLEEP_MS", "0")]);
    let want = toy_edge::error::AppError::INTERNAL.body();
    for refused in [1, 2, 2] {
        let reply = get(&server.url(&format!("/toy?refuse={refused}")));
        assert_eq!(
            (
                reply.status,
                reply.header("content-type"),
                reply.body.as_str()
            ),
            (500, Some("application/json"), want.as_str()),
            "{refused} refused: {reply:?}"
        );
        // Not a panic: the instance carries on.
        let next = get(&server.url("/toy"));
        assert_eq!((next.status, next.body.as_str()), (200, r#"{"result":1}"#));
    }
    let log = server.log();
    assert!(
        log.contains("Response refused"),
        "the refusal was not logged:\n{log}"
    );
    // The `worker` crate's panic hook logs "Rust panic: …".
    assert!(!log.contains("Rust panic"), "a panic:\n{log}");
}
