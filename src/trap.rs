//! What cannot unwind: a trap (`unreachable`, which `std::process::abort`
//! also is on wasm) kills the wasm instance with every request in it.
//!
//! A panic is caught where it happens ([`crate::app::handle`]) and costs its
//! own request only. A trap cannot be caught: wasm-bindgen's glue marks the
//! instance dead and runs the abort handler registered with
//! [`wasm_bindgen::handler::set_on_abort`]. The requests that were in flight
//! can never be resumed; their futures died with the instance. So the host's
//! adapter registers a listener ([`on_trap`]) that this handler calls; the
//! adapter then makes a fresh instance with the glue's reset-state function
//! and answers each of those requests with [`unavailable`], the JSON 503 that
//! the fresh instance builds. The answer's shape lives here, in Rust, like
//! every other answer.

use std::cell::Cell;

use js_sys::Function;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::Response;

use crate::error::AppError;

thread_local! {
    static LISTENER: Cell<Option<Function>> = const { Cell::new(None) };
    static PREVIOUS: Cell<Option<fn()>> = const { Cell::new(None) };
}

/// Calls `listener` (no arguments) when this instance traps, from inside
/// the trap, before the exception reaches the host. The listener then owns
/// the recovery: the instance stays dead until it calls the glue's
/// `__wbg_reset_state` (wasm-bindgen's `--experimental-reset-state-function`).
/// Once per instance: a fresh instance has fresh statics and needs the
/// listener again.
#[wasm_bindgen(js_name = onTrap)]
pub fn on_trap(listener: Function) {
    if LISTENER.replace(Some(listener)).is_none() {
        PREVIOUS.set(wasm_bindgen::handler::set_on_abort(trapped));
    }
}

/// Runs in the dead instance, where the glue traps again right after the
/// first call into JavaScript returns: so there is exactly one such call,
/// the listener's (or, without one, the handler this one replaced: the
/// `worker` crate's, which asks for a fresh instance at the next call).
fn trapped() {
    if let Some(listener) = LISTENER.take() {
        let _ = listener.call0(&JsValue::UNDEFINED);
    } else if let Some(previous) = PREVIOUS.take() {
        previous();
    }
}

/// The answer to a request that was in flight when the instance trapped:
/// JSON 503 with `Retry-After`. Called on the fresh instance.
#[wasm_bindgen]
pub fn unavailable() -> Result<Response, JsValue> {
    AppError::INSTANCE_FAILED.into_response()
}
