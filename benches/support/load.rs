//! The soak's load client: raw HTTP/1.1 over loopback on a tokio runtime
//! owned by the client (the thread-owned model is fine for a load generator).
//! Unlike hey it checks every body. (Client resets: `common::reset`.)

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Answers of a batch of requests.
#[derive(Debug, Default)]
pub struct Outcome {
    pub ok: usize,
    pub errors: usize,
    /// Latency of each good answer, milliseconds, sorted.
    pub latencies_ms: Vec<f64>,
    /// The first few error descriptions.
    pub first_errors: Vec<String>,
}

impl Outcome {
    fn add(&mut self, result: Result<Duration, String>) {
        match result {
            Ok(latency) => {
                self.ok += 1;
                self.latencies_ms.push(latency.as_secs_f64() * 1000.0);
            }
            Err(error) => {
                self.errors += 1;
                if self.first_errors.len() < 5 {
                    self.first_errors.push(error);
                }
            }
        }
    }

    fn merge(&mut self, other: Outcome) {
        self.ok += other.ok;
        self.errors += other.errors;
        self.latencies_ms.extend(other.latencies_ms);
        for error in other.first_errors {
            if self.first_errors.len() < 5 {
                self.first_errors.push(error);
            }
        }
    }

    fn finish(mut self) -> Outcome {
        self.latencies_ms.sort_by(f64::total_cmp);
        self
    }

    /// Latency at quantile `q`.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        super::percentile(&self.latencies_ms, q)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("client runtime")
}

const REQUEST: &[u8] = b"GET /toy HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

/// One GET /toy; Ok(latency) only for a 200 whose body is `{"result":1}`.
async fn get_toy(addr: SocketAddr) -> Result<Duration, String> {
    let started = Instant::now();
    let exchange = async {
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        stream
            .write_all(REQUEST)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut reply = Vec::with_capacity(512);
        stream
            .read_to_end(&mut reply)
            .await
            .map_err(|e| format!("read: {e}"))?;
        Ok::<_, String>(reply)
    };
    let reply = tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .map_err(|_| "timed out after 30 s".to_owned())??;
    let text = String::from_utf8_lossy(&reply);
    if text.starts_with("HTTP/1.1 200 ") && text.ends_with("\r\n\r\n{\"result\":1}") {
        Ok(started.elapsed())
    } else {
        Err(format!(
            "bad reply: {:?}",
            text.chars().take(120).collect::<String>()
        ))
    }
}

/// `n` requests all in flight at once.
pub fn wave(addr: SocketAddr, n: usize) -> Outcome {
    runtime().block_on(async {
        let tasks: Vec<_> = (0..n).map(|_| tokio::spawn(get_toy(addr))).collect();
        let mut outcome = Outcome::default();
        for task in tasks {
            outcome.add(task.await.unwrap_or_else(|e| Err(format!("task: {e}"))));
        }
        outcome.finish()
    })
}

/// `concurrency` clients, each sending requests back to back until
/// `duration` has passed; `sample` is called every `every` meanwhile.
pub fn sustained(
    addr: SocketAddr,
    concurrency: usize,
    duration: Duration,
    every: Duration,
    mut sample: impl FnMut(Duration),
) -> Outcome {
    let runtime = runtime();
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            runtime.spawn(async move {
                let mut outcome = Outcome::default();
                while Instant::now() < deadline {
                    outcome.add(get_toy(addr).await);
                }
                outcome
            })
        })
        .collect();
    while Instant::now() < deadline {
        std::thread::sleep(every.min(deadline.saturating_duration_since(Instant::now())));
        sample(started.elapsed());
    }
    runtime.block_on(async {
        let mut total = Outcome::default();
        for worker in workers {
            match worker.await {
                Ok(outcome) => total.merge(outcome),
                Err(e) => total.add(Err(format!("worker: {e}"))),
            }
        }
        total.finish()
    })
}
