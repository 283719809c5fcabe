//! HTTP to a worker, or to any server a test talks to: plain HTTP on
//! loopback, each reply read whole, every status a [`Reply`].

use std::time::Duration;

use crate::Error;

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// Every header, in the order received; names lowercase.
    pub headers: Vec<(String, String)>,
    /// The body as text (invalid UTF-8 replaced).
    pub body: String,
    /// From sending the request until the body was read.
    pub elapsed: Duration,
}

impl Reply {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(&self.body)
    }
}

/// Sends `method url` with `body` (any server, not only a [`Worker`](crate::Worker)) and
/// reads the whole reply; every status is a [`Reply`], not an error.
pub fn send(method: &str, url: &str, body: Option<&str>) -> Result<Reply, Error> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .body(body.unwrap_or("").to_owned())
        .map_err(|e| Error::Http(format!("{method} {url}: {e}")))?;
    let started = std::time::Instant::now();
    let mut response = agent
        .run(request)
        .map_err(|e| Error::Http(format!("{method} {url}: {e}")))?;
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| Error::Http(format!("{method} {url}: reading the body: {e}")))?;
    Ok(Reply {
        status,
        headers,
        body,
        elapsed: started.elapsed(),
    })
}
