//! Host glue for a browser Service Worker: what `service-worker/sw.js` calls
//! from its `fetch` event, through the same adapter as every runtime
//! (`hosts/adapter.mjs`). Compiled only with the `service-worker` feature and
//! built with wasm-bindgen's web target (`scripts/build.sh
//! --service-worker`).
//!
//! The browser is the fourth host that lends its loop: the same
//! [`crate::app::handle`] and the same `setTimeout` Promise as in workerd, on
//! the Service Worker's single thread. Run it: `make sw`, then open
//! http://127.0.0.1:4568/.
//!
//! The export is not named `fetch`: in a browser that name is the global the
//! glue itself calls to load the wasm.

use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::{Request, Response};

use crate::http::respond;
use crate::{app, config};

/// Answers one request for `/toy` (or below it). `env` plays the part of the
/// worker's: `TOY_SLEEP_MS` in it sets the sleep (`sw.js` takes it from the
/// page's query), unset is the default.
#[wasm_bindgen(js_name = handleToy)]
pub async fn handle_toy(req: Request, env: JsValue) -> Result<Response, JsValue> {
    let response = app::handle(&req, config::from_env(&env)).await?;
    if req.method() == "HEAD" {
        // An HTTP server drops a HEAD answer's body; a Service Worker is the
        // server here, and Chromium hands the page whatever body it gets.
        respond(response.status(), &response.headers(), None)
    } else {
        Ok(response)
    }
}

/// Sleeps that are neither finished nor dropped ([`js_host_timer::live_sleeps`]): the
/// page and the tests ask for it to see what an aborted fetch did.
#[wasm_bindgen(js_name = liveSleeps)]
pub fn live_sleeps() -> u32 {
    u32::try_from(js_host_timer::live_sleeps()).unwrap_or(u32::MAX)
}

/// Present only in the build with the test-only routes (`/__panic`,
/// `/__stats`): `sw.js` hands their paths to the handler too.
#[cfg(feature = "test-routes")]
#[wasm_bindgen(js_name = testRoutes)]
pub fn test_routes() -> bool {
    true
}
