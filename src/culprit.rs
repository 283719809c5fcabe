//! Names the request whose handling panicked, for the hosts' panic guard
//! (`hosts/core.mjs`).
//!
//! A panic aborts the whole instance (`panic = "abort"`), and the guard must
//! answer the one request that caused it with the JSON 500 and replay the
//! others. Only Rust knows which task it was polling when the panic came:
//! one queued job polls many tasks, and a browser has no AsyncLocalStorage to
//! ask. So [`naming`] keeps the request of the handler being polled where a
//! panic hook can find it, and the hook hands it to the guard on
//! `globalThis.__toy_edge_panicking` before the `worker` crate's own hook
//! marks the instance dead (`__worker_init_state.criticalError`), which is
//! what the guard reacts to.

use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::pin::pin;

use wasm_bindgen::JsValue;
use web_sys::Request;

/// Where the guard looks for the request that panicked.
pub const PANICKING_KEY: &str = "__toy_edge_panicking";

thread_local! {
    // The request whose handler is being polled right now: moved in for the
    // poll and out after it (no JS call per poll).
    static POLLING: Cell<Option<Request>> = const { Cell::new(None) };
    static HOOKED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work`, the handling of `req`, so that a panic in any of its polls
/// names `req`.
pub async fn naming<F: Future>(req: &Request, work: F) -> F::Output {
    hook_once();
    let mut work = pin!(work);
    // The handle, not `Request.clone()` (web-sys's inherent `clone` copies
    // the request): the guard knows the request by identity.
    let mut held = Some(Clone::clone(req));
    poll_fn(move |cx| {
        let outer = POLLING.replace(held.take());
        let polled = work.as_mut().poll(cx);
        held = POLLING.replace(outer);
        polled
    })
    .await
}

/// Puts the naming hook in front of the one already set: the `worker`
/// crate's, set when the instance starts, which logs the panic and marks
/// the instance dead. Once per instance (a fresh instance has fresh
/// statics and sets it again).
fn hook_once() {
    if HOOKED.replace(true) {
        return;
    }
    let marks_dead = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(req) = POLLING.take() {
            // Nothing to do if it fails: the guard then answers every
            // request in flight as a bystander.
            let _ =
                js_sys::Reflect::set(&js_sys::global(), &JsValue::from_str(PANICKING_KEY), &req);
        }
        marks_dead(info);
    }));
}
