//! Host glue: the only `#[event(fetch)]` in the crate, the wasm's `fetch`
//! export that every runtime's entry in `hosts/` calls (workerd, Deno, Bun,
//! Node). It reads the configuration from the worker's `Env` (a plain object
//! off workerd) and hands the request to [`crate::app::handle`]. Compiled
//! only with the `entry` feature.
//!
//! Run it: `make dev` (wrangler dev on 127.0.0.1:4567), or `make serve
//! RUNTIME=deno` (or bun, node, workerd).

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Request, Response};
use worker::{Context, Env, event};

use crate::{app, config};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    // Let go of what the sleep does not need: a `Context` held across it kept
    // workerd's ExecutionContext alive for every request in flight (~380
    // bytes each in `make heap`).
    drop(ctx);
    let sleep = config::sleep_duration(sleep_var(&env).as_deref());
    drop(env);
    // Never `Err`: the macro would answer an `Err` with its own text/plain
    // 500, and the code for it (`worker::Error` and its conversions, the
    // `worker::Response` builder) was a fifth of the module, part of it
    // inlined into this function, which V8 compiles on the first request.
    Ok(match app::handle(&req, sleep).await {
        Ok(response) => response,
        Err(error) => unanswerable(&error),
    })
}

/// The host would not build even the JSON error response: `null` instead,
/// which hosts/core.mjs answers with the same JSON 500 built in JavaScript.
#[cold]
#[inline(never)]
fn unanswerable(error: &JsValue) -> Response {
    worker::console_error!("toy-edge: no response could be built: {error:?}");
    JsValue::NULL.unchecked_into()
}

thread_local! {
    // Made once per instance: `&str` into `JsValue` copies the name out of
    // wasm memory into a new JS string on every call.
    static SLEEP_KEY: JsValue = JsValue::from_str(config::SLEEP_VAR);
}

/// The raw `TOY_SLEEP_MS` binding. wrangler passes `[vars]` numbers as JS
/// numbers, so those are turned into their decimal text; anything else that
/// is not a string is kept as its debug text, which the parser rejects.
fn sleep_var(env: &Env) -> Option<String> {
    let value = SLEEP_KEY.with(|key| js_sys::Reflect::get(env, key)).ok()?;
    if value.is_undefined() {
        None
    } else if let Some(text) = value.as_string() {
        Some(text)
    } else if value.as_f64().is_some() {
        // Formatted by JS (1000 -> "1000", 1e99 -> "1e+99"): Rust's f64
        // Display would add about 14 KB to the bundle.
        Some(String::from(
            value
                .unchecked_ref::<js_sys::Number>()
                .to_string_with_radix(10)
                .ok()?,
        ))
    } else {
        Some(format!("{value:?}"))
    }
}
