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
fn a_host_that_refuses_responses_gets_the_json_500_while_one_can_be_built() {
    // tests/workers/refusing-host.mjs refuses the next N `new Response(...)`
    // of a request. N = 1: the answer is refused, Rust builds its JSON 500.
    // N = 2: that is refused too; nothing in JavaScript writes a copy of the
    // contract, so workerd answers with its own 500.
    let main = "tests/workers/refusing-host.mjs";
    let app = common::app_worker("build");
    let mut modules = vec![(main.to_owned(), common::root().join(main))];
    modules.extend(app.modules().iter().cloned());
    let server = Server::start(app.with_modules(modules), &[("TOY_SLEEP_MS", "0")]);
    let want = toy_edge::error::AppError::INTERNAL.body();
    for refused in [1, 2, 1] {
        let reply = get(&server.url(&format!("/toy?refuse={refused}")));
        assert_eq!(reply.status, 500, "{refused} refused: {reply:?}");
        let json = reply.header("content-type") == Some("application/json");
        assert_eq!(json, refused == 1, "{refused} refused: {reply:?}");
        if json {
            assert_eq!(reply.body, want, "{refused} refused");
        }
        // Not a panic: the instance carries on.
        let next = get(&server.url("/toy"));
        assert_eq!((next.status, next.body.as_str()), (200, r#"{"result":1}"#));
    }
    let log = server.log();
    assert!(
        log.contains("Response refused"),
        "the refusal was not logged:\n{log}"
    );
    // The app's panic hook logs "… handler panicked …".
    assert!(!log.contains("panicked"), "a panic:\n{log}");
}
