//! The thread-owned-loop version of GET /toy, done right: axum on a tokio
//! runtime the server owns (the server-sized version of fix one in
//! tests/contrast.rs). `make bench` measures it next to the workers.
//!
//! Run: `TOY_SLEEP_MS=1000 cargo run --release --example tokio_server -- 127.0.0.1:4568`
//! (the benchmark passes `127.0.0.1:0` and reads the port it prints).

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
    // A backlog of 4096, as workerd gets in the benchmark: tokio's `bind`
    // listens with 1024, and a wave of 5000 connects overflows that.
    let addr: std::net::SocketAddr = addr
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(4096)?;
    let addr = listener.local_addr()?;
    println!("tokio_server: GET /toy (sleep {sleep:?}) on http://{addr}/toy");
    axum::serve(listener, app).await?;
    Ok(())
}
