//! A Cloudflare worker (workers-rs) whose `GET /` sleeps up to a minute, or
//! until the client goes away. Build it with `worker-build --release`, set
//! `compatibility_flags = ["enable_request_signal"]` in `wrangler.toml`, and
//! run `wrangler dev`.
use std::time::Duration;

use js_host_timer::{SleepError, sleep_or_abort};
use worker::{Context, Env, Request, Response, Result, event};

#[event(fetch)]
async fn fetch(req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    // workers-rs's Request wraps the host's web_sys::Request; its signal
    // aborts when the client disconnects.
    let signal = req.inner().signal();
    match sleep_or_abort(Duration::from_secs(60), &signal).await {
        Ok(()) => Response::ok("slept a minute"),
        // Nobody reads this answer; returning ends the request's work, and
        // the timer has already been cleared.
        Err(SleepError::Aborted) => Response::error("client went away", 499),
        Err(error) => Response::error(error.to_string(), 500),
    }
}
