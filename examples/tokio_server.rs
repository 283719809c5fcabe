//! The thread-owned-loop version of GET /toy, done right: axum on a tokio
//! runtime the server owns (the server-sized version of fix one in
//! tests/contrast.rs). `make bench` measures it next to the workers.
//!
//! Run: `TOY_SLEEP_MS=1000 cargo run --release --example tokio_server -- 127.0.0.1:4568`
//! (the benchmark passes `fd:N` instead: a listening socket it bound itself).

#[cfg(target_arch = "wasm32")]
fn main() {} // a native server: nothing to run on wasm

#[cfg(not(target_arch = "wasm32"))]
#[tokio::main]
async fn main() -> std::io::Result<()> {
    use axum::Router;
    use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
    use axum::routing::get;

    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4568".into());
    // The same variable and rules as the worker (src/config.rs).
    let raw = std::env::var(toy_edge::config::SLEEP_VAR).ok();
    let sleep = toy_edge::config::sleep_duration(raw.as_deref())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let toy = move || async move {
        // The runtime's own timer: this future runs on the loop main() owns.
        tokio::time::sleep(sleep).await;
        (
            [
                (CONTENT_TYPE, "application/json"),
                (CACHE_CONTROL, "no-store"),
            ],
            toy_edge::app::RESULT_BODY,
        )
    };
    let app = Router::new().route("/toy", get(toy));
    let listener = match addr.strip_prefix("fd:").map(str::parse::<i32>) {
        Some(Ok(fd)) => {
            use std::os::fd::FromRawFd;
            // SAFETY: `fd:N` names a listening socket our parent bound and
            // left open for us; nothing else in this process owns it.
            let std_listener = unsafe { std::net::TcpListener::from_raw_fd(fd) };
            std_listener.set_nonblocking(true)?;
            tokio::net::TcpListener::from_std(std_listener)?
        }
        Some(Err(e)) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)),
        None => tokio::net::TcpListener::bind(&addr).await?,
    };
    println!("tokio_server: GET http://{addr}/toy (sleep {sleep:?})");
    axum::serve(listener, app).await?;
    Ok(())
}
