//! toy-edge: `GET /toy` sleeps one second on the host's JavaScript event loop
//! and answers `{"result":1}`.
//!
//! The crate is three layers with one-way arrows, called by each runtime's
//! entry in `hosts/` (JavaScript adapters that instantiate the wasm):
//!
//! ```text
//! hosts/*.mjs: one entry per runtime, hosts/adapter.mjs
//!    |
//!    v
//! glue (src/glue.rs)  ->  app (src/app.rs)  ->  js-host-timer (crates/)
//! #[event(fetch)]         routing, the HTTP      setTimeout wrapped in a
//! reads Env               contract               js_sys::Promise, awaited
//!                            |                    from Rust
//!                            v
//!                         error (src/error.rs) -> http (src/http.rs)
//!                         one error type,         building responses
//!                         one JSON shape
//! ```
//!
//! A panic unwinds to `app::handle`, which answers its request with the
//! JSON 500; a trap, which nothing can catch, is answered by `trap`
//! (src/trap.rs): the requests in flight get a JSON 503 from the fresh
//! instance.
//!
//! Nothing here owns an event loop or spawns a thread. The host (workerd,
//! Deno, Bun, Node or a browser) runs its single-threaded loop; the timer's
//! Promise resolves on it and `wasm-bindgen-futures` turns that into a wake-up of the
//! Rust future. That is the contrast with the Flask seed, whose request thread
//! asked asyncio for "the" loop and found none.
//!
//! The entry point is compiled only with the `entry` feature (the worker
//! build); tests link the library without it. The `service-worker` feature
//! compiles the other glue instead (`src/service_worker.rs`), for the same handler
//! in a browser Service Worker. Build and run: see README.md.
#![deny(missing_docs)]

pub mod app;
pub mod config;
pub mod error;
pub mod http;
pub mod trap;

#[cfg(feature = "entry")]
mod glue;
#[cfg(feature = "service-worker")]
pub mod service_worker;
