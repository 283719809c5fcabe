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
    let sleep = config::from_env(&env);
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
/// which no host takes for a response, so the host answers with its own
/// 500. No JavaScript copy of the error body exists to fall back on: the
/// contract lives here.
#[cold]
#[inline(never)]
fn unanswerable(error: &JsValue) -> Response {
    worker::console_error!("toy-edge: no response could be built: {error:?}");
    JsValue::NULL.unchecked_into()
}
